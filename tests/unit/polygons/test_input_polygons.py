"""Polygon files a user gets wrong: each stops in the check before any job, naming the file and
what to do, and the cleaning step writes nothing."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from minescan.errors import MinescanInputError
from minescan.polygons.steps import check_polygons, clean_polygons_step

SQUARE = shapely.box(117.10, -0.30, 117.11, -0.29)
FLAT = shapely.Polygon([(117.1, -0.3), (117.2, -0.3), (117.3, -0.3)])  # zero area


def _write(path: Path, geometries, layer: str | None = None, **columns) -> Path:
    frame = gpd.GeoDataFrame(columns or None, geometry=list(geometries), crs=4326)
    frame.to_file(path, layer=layer) if layer else frame.to_file(path)
    return path


def _fails_with(path: Path, message: str, layer: str | None = None) -> MinescanInputError:
    with pytest.raises(MinescanInputError, match=message) as error:
        check_polygons(str(path), layer)
    results = path.parent / "results"
    with pytest.raises(MinescanInputError):
        clean_polygons_step(
            str(path), str(results / "polygons.parquet"), str(results / "cleaning.json"), layer
        )
    assert not results.exists() or not any(results.iterdir())
    assert str(path) in str(error.value)
    return error.value


def test_a_lon_lat_table_says_polygons_are_needed(tmp_path):
    table = tmp_path / "mines.csv"
    table.write_text("lon,lat,name\n117.1,-0.3,a\n117.2,-0.4,b\n")
    error = _fails_with(table, r"a table without geometries \(columns \['lon', 'lat', 'name'\]\)")
    assert "polygons" in error.remedy and "GeoPackage" in error.remedy


def test_a_layer_typo_lists_the_layers_of_the_file(tmp_path):
    path = tmp_path / "two.gpkg"
    _write(path, [SQUARE], layer="mining_areas")
    _write(path, [SQUARE.buffer(0.01)], layer="buffers")
    error = _fails_with(path, "has no layer 'mines'", layer="mines")
    assert "mining_areas" in error.remedy and "buffers" in error.remedy


def test_the_right_layer_of_a_multi_layer_file_passes(tmp_path):
    path = tmp_path / "two.gpkg"
    _write(path, [SQUARE], layer="mining_areas")
    _write(path, [SQUARE.buffer(0.01)], layer="buffers")
    check_polygons(str(path), "buffers")


def test_a_file_whose_only_polygon_has_no_area_stops_at_cleaning(tmp_path):
    error = _fails_with(_write(tmp_path / "flat.gpkg", [FLAT]), "no polygon with an area is left")
    assert "1 features read" in error.problem


def test_zero_area_polygons_beside_a_real_one_are_dropped(tmp_path):
    check_polygons(str(_write(tmp_path / "some.gpkg", [FLAT, SQUARE, FLAT])))


def test_an_empty_collection_and_a_missing_file_are_named(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    _fails_with(empty, "holds no features")
    with pytest.raises(MinescanInputError, match="file does not exist"):
        check_polygons(str(tmp_path / "absent.gpkg"))


def test_lines_and_garbage_are_named(tmp_path):
    _fails_with(
        _write(tmp_path / "lines.gpkg", [shapely.LineString([(0, 0), (1, 1)])]), "not polygons"
    )
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_bytes(b"not a geopackage at all")
    _fails_with(garbage, "cannot be read as polygons")
