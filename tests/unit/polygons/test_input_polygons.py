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


def test_rows_are_named_in_feature_order_with_the_geopackage_fid(tmp_path):
    line = shapely.LineString([(117.1, -0.3), (117.2, -0.2)])
    error = _fails_with(_write(tmp_path / "mixed.gpkg", [SQUARE, SQUARE, line]), "not polygons")
    # The third feature: row 2 counted from 0, fid 3 in the GeoPackage (fids start at 1).
    assert error.problem == "row 2 (feature order from 0; fid 3) is LineString, not polygons"


def test_swapped_latitude_and_longitude_are_called_that(tmp_path):
    swapped = shapely.box(-0.30, 117.10, -0.29, 117.11)  # Kalimantan, y holding the longitude
    error = _fails_with(_write(tmp_path / "swapped.gpkg", [swapped]), "look swapped")
    assert error.problem.startswith("row 0 (feature order from 0; fid 1) is at latitudes beyond 90")
    assert "polar" not in str(error) and "Swap X and Y" in error.remedy


def test_a_missing_date_column_is_named_by_its_key_before_any_job(tmp_path):
    path = _write(tmp_path / "dated.gpkg", [SQUARE], year=[2019])
    with pytest.raises(MinescanInputError) as error:
        check_polygons(str(path), date_column="first_year")
    assert str(error.value).startswith(f"{path}: has no column 'first_year' (polygons.date_column)")
    assert "schema" not in str(error.value)
    assert error.value.remedy.startswith("set polygons.date_column to one of them")
    bad_year = _write(tmp_path / "bad_year.gpkg", [SQUARE], year=["soon"])
    with pytest.raises(MinescanInputError, match="column 'year' has no year or date in rows 0"):
        check_polygons(str(bad_year), date_column="year")
    assert len(check_polygons(str(path), date_column="year")) == 1
