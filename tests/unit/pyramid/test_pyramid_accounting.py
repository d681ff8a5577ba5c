"""Recall of polygon area by cells, child ids, and the replay of a scan."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from minescan.pyramid.accounting import child_ids, recall, region_polygons, replay

REGION = shapely.box(117.0, -0.5, 117.2, -0.3)


def test_recall_is_the_share_of_polygon_area_inside_the_cells():
    polygons = gpd.GeoDataFrame(
        geometry=[
            shapely.box(117.05, -0.45, 117.07, -0.43),
            shapely.box(117.15, -0.4, 117.16, -0.39),
        ],
        crs=4326,
    )
    truth = region_polygons(polygons, REGION)
    # a cell covering the west half of the first polygon only
    cells = gpd.GeoSeries([shapely.box(117.0, -0.5, 117.06, -0.3)], crs=4326)
    got = recall(truth, cells)
    areas = truth.area.to_numpy()
    assert got["area_recall"] == pytest.approx(0.5 * areas[0] / areas.sum(), rel=1e-3)
    assert got["polygon_recall"] == 0.5
    assert recall(truth, gpd.GeoSeries([REGION], crs=4326))["area_recall"] == pytest.approx(1)


def test_polygons_outside_the_region_do_not_count():
    polygons = gpd.GeoDataFrame(geometry=[shapely.box(118, 1, 118.1, 1.1)], crs=4326)
    assert len(region_polygons(polygons, REGION)) == 0


def test_child_ids_are_the_four_children():
    assert sorted(child_ids(["z13_32650_10_-3"])) == sorted(
        ["z14_32650_20_-6", "z14_32650_21_-6", "z14_32650_20_-5", "z14_32650_21_-5"]
    )


def test_replay_descends_only_into_kept_cells_of_the_region():
    start = ["z1_32650_0_0", "z1_32650_1_0"]
    level2 = child_ids(start)
    region = {1: set(start), 2: set(level2[:-1])}  # one child is at sea
    scores = {1: {"z1_32650_0_0": 0.9, "z1_32650_1_0": 0.1}, 2: {}}
    scored = replay([1, 2], start, region, scores, {1: 0.5, 2: 0.5})
    assert scored[1] == start
    assert scored[2] == child_ids(["z1_32650_0_0"])
    # a cell without a score (no usable tile) is kept
    scores[1].pop("z1_32650_1_0")
    scored = replay([1, 2], start, region, scores, {1: 0.5, 2: 0.5})
    assert set(scored[2]) == set(level2[:-1])
    assert np.isfinite(len(scored[2]))
