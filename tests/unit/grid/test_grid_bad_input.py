"""Bad input: a clear error naming the file and the problem, or a counted repair."""

from __future__ import annotations

import copy
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from snakemake.utils import validate

from minescan.config import check_config
from minescan.errors import MinescanInputError
from minescan.grid.build import GridSpec, build_grid
from minescan.grid.negatives import NegativeSearch
from minescan.polygons.clean import clean_polygons
from minescan.polygons.read import read_polygons
from minescan.polygons.steps import clean_polygons_step
from minescan.utm import to_utm

REPO = Path(__file__).resolve().parents[3]
SQUARE = shapely.box(117.0, -0.5, 117.01, -0.49)


def _write(tmp_path, geoms, crs=4326, name="polygons.gpkg", **columns):
    frame = gpd.GeoDataFrame(columns, geometry=geoms, crs=crs)
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(MinescanInputError, match="nope.gpkg: file does not exist"):
        read_polygons(tmp_path / "nope.gpkg")


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    with pytest.raises(MinescanInputError, match="broken.gpkg: cannot be read as polygons"):
        read_polygons(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(MinescanInputError, match="empty.geojson: holds no features"):
        read_polygons(path)


def test_no_crs(tmp_path):
    path = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame(geometry=[SQUARE]).to_file(path)
    with pytest.raises(MinescanInputError, match="has no coordinate reference system"):
        read_polygons(path)


def test_points_are_rejected_with_their_rows(tmp_path):
    path = _write(
        tmp_path, [SQUARE, shapely.Point(117, -0.5), shapely.LineString([(0, 0), (1, 1)])]
    )
    frame = read_polygons(path)
    with pytest.raises(
        MinescanInputError,
        match=r"rows 1, 2 \(feature order from 0; fid 2, 3\) are LineString/Point, not polygons",
    ):
        clean_polygons(frame, path)


def test_invalid_and_self_intersecting_polygons_are_repaired_and_counted(tmp_path):
    bowtie = shapely.Polygon([(117.0, -0.5), (117.01, -0.49), (117.01, -0.5), (117.0, -0.49)])
    path = _write(tmp_path, [bowtie, SQUARE.buffer(0.05).difference(SQUARE.buffer(0.04))])
    clean, report = clean_polygons(read_polygons(path), path)
    assert report.invalid_repaired == 1
    assert any("invalid polygons were repaired" in w for w in report.warnings)
    assert shapely.is_valid(clean.geometry.to_numpy()).all()
    assert set(clean.geom_type) == {"Polygon"}
    assert report.parts_from_multipolygons >= 1  # the bowtie became two triangles


def test_duplicates_are_dropped_and_overlaps_merged(tmp_path):
    overlapping = shapely.box(117.005, -0.5, 117.02, -0.49)
    path = _write(tmp_path, [SQUARE, SQUARE, overlapping])
    clean, report = clean_polygons(read_polygons(path), path)
    assert report.duplicates_dropped == 1
    assert report.overlapping_merged == 2
    assert len(clean) == 1
    assert clean.geometry.iloc[0].area == pytest.approx(
        shapely.union_all([SQUARE, overlapping]).area
    )


def test_antimeridian_crossing_polygon_is_unwrapped_and_covered(tmp_path):
    # Stored the naive way: from 179.99 E to 179.99 W, spanning "359.98 degrees".
    crossing = shapely.Polygon(
        [(179.99, -17.0), (-179.99, -17.0), (-179.99, -16.99), (179.99, -16.99)]
    )
    path = _write(tmp_path, [crossing], name="fiji.gpkg")
    clean, report = clean_polygons(read_polygons(path), path)
    assert report.antimeridian_unwrapped == 1
    assert clean.area_km2.iloc[0] == pytest.approx(2.13 * 1.11, rel=0.05)
    spec = GridSpec(zooms=(16,), cell_size_m={16: 1280})
    table = build_grid(clean, spec, None)[16]
    # Each side of 180 degrees is gridded in its own zone (60 S west of it, 1 S east of it),
    # and each cell's overlap is the polygon's true share of it, parts across 180 included.
    assert set(table["epsg"]) == {32760, 32701}
    for epsg, cells in table.groupby("epsg"):
        boxes = shapely.box(cells["xmin"], cells["ymin"], cells["xmax"], cells["ymax"])
        projected = to_utm(clean.geometry.to_numpy(), int(epsg))[0]
        expected = shapely.area(shapely.intersection(projected, boxes))
        assert cells["overlap_fraction"].to_numpy() * 1280**2 == pytest.approx(expected, rel=0.01)


def test_polygons_beyond_utm_latitudes(tmp_path):
    polar = shapely.box(10.0, 84.5, 10.1, 84.6)
    path = _write(tmp_path, [SQUARE, polar], name="svalbard.gpkg")
    with pytest.raises(
        MinescanInputError,
        match=r"svalbard.gpkg: row 1 \(feature order from 0; fid 2\) is beyond the latitudes",
    ):
        clean_polygons(read_polygons(path), path)


def test_missing_schema_columns(tmp_path):
    path = _write(tmp_path, [SQUARE], ISO3_CODE=["IDN"])
    with pytest.raises(MinescanInputError, match=r"lacks column\(s\) \['COUNTRY_NAME', 'AREA'\]"):
        clean_polygons(read_polygons(path), path, schema="maus_v2")


def test_other_crs_is_reprojected(tmp_path):
    utm = shapely.box(511_000, 9_944_000, 512_000, 9_945_000)
    path = _write(tmp_path, [utm], crs=32750, name="utm.gpkg")
    clean, _ = clean_polygons(read_polygons(path), path)
    assert clean.crs.to_epsg() == 4326
    assert clean.area_km2.iloc[0] == pytest.approx(1.0, rel=1e-3)


def test_failed_step_leaves_no_output(tmp_path):
    bad = _write(tmp_path, [shapely.Point(117, -0.5)], name="points.gpkg")
    out = tmp_path / "results" / "polygons.parquet"
    report = tmp_path / "results" / "cleaning.json"
    with pytest.raises(MinescanInputError):
        clean_polygons_step(str(bad), str(out), str(report))
    assert not out.exists() and not report.exists()
    assert not any((tmp_path / "results").glob("*")) if (tmp_path / "results").exists() else True


def _config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (("grid", "min_overlap_fraction"), 1.5, "1.5 is greater than the maximum of 1"),
        (("grid", "zoom_levels"), [], "should be non-empty"),
        (("negatives", "strategy"), "farthest", "'farthest' is not one of"),
        (("grid", "typo_key"), 3, "Additional properties are not allowed"),
    ],
)
def test_config_values_outside_the_schema_are_rejected(key, value, message):
    config = _config()
    config[key[0]][key[1]] = value
    with pytest.raises(Exception, match=message):
        validate(
            copy.deepcopy(config), schema=str(REPO / "workflow" / "schemas" / "config.schema.yaml")
        )


def test_shipped_config_validates():
    config = _config()
    validate(config, schema=str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    check_config(config)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"zoom_levels": [14, 16], "cell_size_m": 5120}, "not consecutive"),
        ({"zoom_levels": [14, 15, 16], "cell_size_m": 5500}, "not a multiple of grid.pixel_size_m"),
        ({"zoom_levels": [14], "cell_size_m": 5120, "shard_block_m": 10000}, "shard_block_m"),
    ],
)
def test_inconsistent_grid_keys_name_the_key(grid, message):
    with pytest.raises(MinescanInputError, match=message):
        check_config({"grid": grid})


def test_negative_search_without_land_gives_no_negative():
    island = gpd.GeoDataFrame(
        {"polygon_id": [0], "country": [None], "area_km2": [0.1], "utm_epsg": [32750]},
        geometry=[shapely.Point(117.1, -0.5).buffer(0.001)],
        crs=4326,
    )
    spec = GridSpec(zooms=(14,), cell_size_m={14: 5120})
    table = build_grid(island, spec, NegativeSearch(max_distance_m=6000, min_land_fraction=1.01))[
        14
    ]
    assert (table["label"] == "positive").all()
    assert table["pair_id"].isna().all()
