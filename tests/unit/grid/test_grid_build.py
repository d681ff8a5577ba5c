"""Properties of the grid built from the shipped real MAUS sample."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from minescan.grid.build import GridSpec, build_grid
from minescan.grid.naming import cell_names, parse_cell_id, parse_name
from minescan.grid.negatives import NegativeSearch
from minescan.grid.regions import child_cells, region_cells
from minescan.grid.shards import assign_shards
from minescan.polygons.clean import clean_polygons
from minescan.polygons.read import read_polygons
from minescan.utm import to_utm

SPEC = GridSpec(
    zooms=(14, 15, 16), cell_size_m={14: 5120, 15: 2560, 16: 1280}, max_cells_per_shard=64
)
SEARCH = NegativeSearch(max_distance_m=50_000, min_land_fraction=0.5)


@pytest.fixture(scope="module")
def polygons(sample_polygons):
    clean, _ = clean_polygons(read_polygons(sample_polygons), sample_polygons)
    return clean


@pytest.fixture(scope="module")
def grid(polygons):
    return build_grid(polygons, SPEC, SEARCH)


def _utm_boxes(table):
    return shapely.box(table["xmin"], table["ymin"], table["xmax"], table["ymax"])


def _utm_union(polygons, epsg):
    return shapely.union_all(to_utm(polygons.geometry.to_numpy(), epsg))


def test_cells_are_square_metric_and_on_the_10m_pixel_grid(grid):
    for zoom, table in grid.items():
        size = SPEC.cell_size_m[zoom]
        assert ((table["xmax"] - table["xmin"]) == size).all()
        assert ((table["ymax"] - table["ymin"]) == size).all()
        for column in ["xmin", "ymin", "xmax", "ymax"]:
            assert (table[column] % 10 == 0).all()
        # Square on the ground within 0.5 %: the lon/lat polygon's geodesic sides agree.
        side = gpd.GeoSeries(table.geometry, crs=4326).to_crs(table["epsg"].iloc[0]).length / 4
        assert np.allclose(side, size, rtol=0.005)


def test_zoom_levels_nest_exactly_four_children_per_parent(grid):
    coarse, fine = grid[15], grid[16]
    parents = coarse.set_index("cell_id")
    for _, child in fine.iterrows():
        zoom, epsg, i, j = parse_cell_id(child["parent_id"])
        assert (zoom, epsg, i, j) == (15, child["epsg"], child["i"] >> 1, child["j"] >> 1)
        if child["parent_id"] in parents.index:
            parent = parents.loc[child["parent_id"]]
            assert parent["xmin"] <= child["xmin"] and child["xmax"] <= parent["xmax"]
            assert parent["ymin"] <= child["ymin"] and child["ymax"] <= parent["ymax"]
    children = child_cells(coarse.head(5), SPEC)
    assert len(children) == 20
    union = shapely.union_all(_utm_boxes(children))
    assert union.area == pytest.approx(shapely.union_all(_utm_boxes(coarse.head(5))).area)


def test_every_polygon_is_covered_by_positive_cells(grid, polygons):
    union = _utm_union(polygons, 32750)
    for zoom, table in grid.items():
        positives = table[table["label"] == "positive"]
        covered = shapely.intersection(union, shapely.union_all(_utm_boxes(positives))).area
        # Only slivers in cells below the overlap threshold may stay outside.
        slack = SPEC.min_overlap_fraction * SPEC.cell_size_m[zoom] ** 2 * len(table)
        assert union.area - covered <= slack
        assert covered / union.area > 0.999


def test_overlap_fractions_agree_with_shapely_exact_areas(grid, polygons):
    union = _utm_union(polygons, 32750)
    for zoom, table in grid.items():
        exact = shapely.area(shapely.intersection(union, _utm_boxes(table)))
        expected = exact / SPEC.cell_size_m[zoom] ** 2
        np.testing.assert_allclose(table["overlap_fraction"], expected, atol=1e-9)
        positive = table["label"] == "positive"
        assert (table.loc[positive, "overlap_fraction"] >= SPEC.min_overlap_fraction).all()


def test_negatives_never_touch_a_polygon_are_unique_and_on_land(grid, polygons):
    union = _utm_union(polygons, 32750)
    for table in grid.values():
        negatives = table[table["label"] == "negative"]
        assert len(negatives) > 0
        assert not shapely.intersects(union, _utm_boxes(negatives)).any()
        assert negatives["cell_id"].is_unique
        assert (negatives["climate"] != "Ocean").all()
        positives = table[table["label"] == "positive"].set_index("cell_id")
        # Each negative is paired with a positive that points back at it.
        assert (
            positives.loc[negatives["pair_id"], "pair_id"].to_numpy() == negatives["cell_id"]
        ).all()


def test_negative_is_the_nearest_free_cell_for_a_lone_polygon():
    lone = gpd.GeoDataFrame(
        {"polygon_id": [0], "country": ["IDN"], "area_km2": [0.1], "utm_epsg": [32750]},
        geometry=[shapely.Point(117.1, -0.5).buffer(0.001)],
        crs=4326,
    )
    table = build_grid(lone, SPEC, SEARCH, zooms=[14])[14]
    positives = table[table["label"] == "positive"]
    negative = table[table["label"] == "negative"].iloc[0]
    touched = set(zip(positives["i"], positives["j"], strict=True))
    pos = positives.iloc[0]
    # Next to the positive(s): an edge neighbour not touched by the polygon.
    assert (negative["i"], negative["j"]) not in touched
    assert abs(negative["i"] - pos["i"]) + abs(negative["j"] - pos["j"]) <= 2


def test_metadata_names_and_ids(grid):
    for zoom, table in grid.items():
        assert table["cell_id"].is_unique
        assert set(table["country"]) == {"IDN"}
        assert set(table["utm_zone"]) == {"50S"}
        assert table["climate"].isin(["Af", "Am"]).all()
        for _, row in table.head(50).iterrows():
            parsed = parse_name(row["name"])
            assert parsed.zoom == zoom
            assert parsed.lat == pytest.approx(row["centroid_lat"], abs=5e-4)
            assert parsed.lon == pytest.approx(row["centroid_lon"], abs=5e-4)
            if row["label"] == "negative":
                assert parsed.overlap_pct is None
            else:
                assert parsed.overlap_pct == pytest.approx(100 * row["overlap_fraction"], abs=5e-3)


@given(
    st.floats(-80, 84),
    st.floats(-180, 180),
    st.integers(0, 30),
    st.floats(0.001, 1.0),
    st.booleans(),
)
def test_names_round_trip(lat, lon, zoom, overlap, positive):
    name = cell_names(
        np.array([lat]), np.array([lon]), zoom, np.array([overlap]), np.array([positive])
    )[0]
    parsed = parse_name(name)
    assert parsed.lat == pytest.approx(round(lat * 1000) / 1000, abs=1e-9)
    assert parsed.lon == pytest.approx(round(lon * 1000) / 1000, abs=1e-9)
    assert parsed.zoom == zoom
    assert (parsed.overlap_pct is None) == (not positive)
    # The seed's example: -29.5 becomes 029500.
    assert cell_names(np.array([-29.5]), np.array([0.0]), 14, np.array([0.0]), np.array([False]))[
        0
    ].startswith("029500_0_14_neg")


def test_shards_are_bounded_and_stable(grid):
    for table in grid.values():
        assert table.groupby("shard").size().max() <= SPEC.max_cells_per_shard
    table = grid[16]
    args = (
        table["epsg"].to_numpy(),
        table["i"].to_numpy(),
        table["j"].to_numpy(),
        1280,
        327680,
        64,
    )
    again = assign_shards(*args)
    assert (again == table["shard"].to_numpy()).all()
    # Cells of another root block (other zone) do not rename this block's shards.
    extra_epsg = np.concatenate([args[0], [32633] * 500])
    extra_i = np.concatenate([args[1], np.arange(500)])
    extra_j = np.concatenate([args[2], np.zeros(500, int)])
    with_extra = assign_shards(extra_epsg, extra_i, extra_j, 1280, 327680, 64)
    assert (with_extra[: len(table)] == table["shard"].to_numpy()).all()


def test_region_mode_covers_the_region_with_land_cells(polygons):
    region = shapely.box(117.0, -0.6, 117.2, -0.4)
    table = region_cells(region, 15, SPEC, polygons)
    region_utm = to_utm(np.array([region]), 32750)[0]
    cells = shapely.union_all(_utm_boxes(table))
    assert shapely.difference(region_utm, cells).area < 1e-6 * region_utm.area
    assert table["cell_id"].is_unique
    # Overlap with the polygons is reported for evaluation of the pyramid.
    assert (table["overlap_fraction"] > 0).sum() > 10
    grid15 = build_grid(polygons, SPEC, SEARCH, zooms=[15])[15]
    inside = grid15[grid15["label"] == "positive"].set_index("cell_id")
    common = table[table["cell_id"].isin(inside.index)]
    np.testing.assert_allclose(
        common["overlap_fraction"], inside.loc[common["cell_id"], "overlap_fraction"], atol=1e-12
    )
