"""Scan regions against the polygons they scan: the demo's regions kept beside a user's own
polygons are named in a warning before any job; the demo itself gets none."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
import yaml

from minescan.grid.scope import scope_warnings
from minescan.polygons.clean import clean_polygons
from minescan.polygons.read import read_polygons

REPO = Path(__file__).resolve().parents[3]
SHIPPED = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _config(**sections) -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for name, values in sections.items():
        config[name].update(values)
    return config


def _clean(path) -> gpd.GeoDataFrame:
    return clean_polygons(read_polygons(path), path)[0]


def test_the_demo_gets_no_warning(monkeypatch):
    monkeypatch.chdir(REPO)  # the config's paths are relative to the repository
    config = _config()
    polygons = _clean(config["polygons"]["path"])
    assert scope_warnings(config, polygons, SHIPPED) == []


def test_own_polygons_with_the_demo_regions_are_named(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    mines = tmp_path / "brazil_mines.gpkg"  # two mines near Carajas, Para
    boxes = [shapely.box(-50.2, -6.1, -50.1, -6.0), shapely.box(-49.9, -6.3, -49.8, -6.2)]
    gpd.GeoDataFrame(geometry=boxes, crs=4326).to_file(mines)
    config = _config(polygons={"path": str(mines)})
    pyramid, growth = scope_warnings(config, _clean(mines), SHIPPED)
    assert pyramid.startswith("pyramid.region [117.03, -0.55, 117.53, -0.05] (the demo region)")
    assert "none of the 2 polygons of polygons.path" in pyramid
    assert "[-50.20, -6.30, -49.80, -6.00]" in pyramid and "pyramid.enabled: false" in pyramid
    assert growth.startswith("growth runs on the demo's sample growth.polygons")
    assert "growth.enabled: false" in growth
    # Their own region, and growth off: nothing to say.
    config = _config(
        polygons={"path": str(mines)},
        pyramid={"region": [-50.5, -6.5, -49.5, -5.5]},
        growth={"enabled": False},
    )
    assert scope_warnings(config, _clean(mines), SHIPPED) == []


def test_a_growth_region_away_from_its_polygons_is_named(monkeypatch):
    monkeypatch.chdir(REPO)
    config = _config(growth={"region": [-60.0, -3.0, -59.9, -2.9]})
    polygons = _clean(config["polygons"]["path"])
    (warning,) = scope_warnings(config, polygons, SHIPPED)
    assert warning.startswith("growth.region [-60.0, -3.0, -59.9, -2.9] meets none of the 140")
