"""Checks before any job runs: land, detector, job budget; the first level and its children."""

import copy
import json

import pandas as pd
import pytest
import shapely

from minescan.errors import MinescanInputError
from minescan.grid.build import GridSpec
from minescan.grid.regions import region_cells, region_geometry
from minescan.pyramid.budget import check_pyramid
from minescan.pyramid.descend import children_in_region, kept_cells
from minescan.pyramid.levels import pyramid_levels

GRID = {
    "zoom_levels": [14, 15, 16],
    "cell_size_m": 5120,
    "pixel_size_m": 10,
    "max_cells_per_shard": 128,
    "shard_block_m": 327680,
}
PYRAMID = {
    "region": [117.03, -0.55, 117.53, -0.05],
    "levels": [13, 14, 15, 16],
    "exhaustive": True,
    "detect": True,
    "min_land_fraction": 0.5,
    "max_jobs": 5000,
}


def _check(**changes):
    pyramid = {**copy.deepcopy(PYRAMID), **changes}
    return check_pyramid(pyramid, GRID, pyramid_levels(GRID, pyramid), detection_zooms=[16])


def test_the_demo_region_fits_its_budget():
    plan = _check()
    assert plan.loc[plan["scan"] == "pyramid", "cells"].item() > 10
    assert set(plan["scan"]) == {"pyramid", "exhaustive"}


def test_a_region_in_the_sea_is_refused():
    with pytest.raises(MinescanInputError, match="no land cell"):
        _check(region=[-30.0, -10.0, -29.5, -9.5])  # the South Atlantic


def test_a_region_file_with_no_polygon_is_refused(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(MinescanInputError) as error:
        _check(region=str(empty))
    assert "empty" in str(error.value) or "no polygon" in str(error.value)


def test_a_region_over_the_job_budget_is_refused_with_the_figures():
    with pytest.raises(MinescanInputError, match="pyramid.max_jobs") as error:
        _check(region=[110.0, -5.0, 120.0, 5.0], max_jobs=200)
    assert "exhaustive" in str(error.value) and "shards" in str(error.value)


def test_detecting_without_a_detector_at_the_finest_level_is_refused():
    pyramid = {**PYRAMID, "levels": [13, 14, 15]}
    with pytest.raises(MinescanInputError, match="no trained detector"):
        check_pyramid(pyramid, GRID, pyramid_levels(GRID, pyramid), detection_zooms=[16])


def test_children_are_the_region_cells_under_the_kept_parents():
    region = region_geometry(PYRAMID["region"])
    sizes = {13: 10240, 14: 5120}
    spec = GridSpec(zooms=(13, 14), cell_size_m=sizes, max_cells_per_shard=128)
    parents = region_cells(region, 13, spec)
    scores = pd.DataFrame(
        {"cell_id": parents["cell_id"], "max_probability": [i % 3 / 2 for i in range(len(parents))]}
    )
    kept = kept_cells(parents.drop(columns="geometry"), scores, "max_probability", 0.5)
    assert len(kept) == (scores["max_probability"] >= 0.5).sum()
    children = children_in_region(kept, 14, spec, region, 0.5)
    everything = set(region_cells(region, 14, spec)["cell_id"])
    assert set(children["cell_id"]) <= everything
    expected = {c for c in everything if c.rsplit("_", 2)[0] and _parent(c) in set(kept["cell_id"])}
    assert set(children["cell_id"]) == expected
    assert children["shard"].notna().all()


def _parent(cell_id):
    zoom, epsg, i, j = cell_id.split("_")
    return f"z{int(zoom[1:]) - 1}_{epsg}_{int(i) >> 1}_{int(j) >> 1}"


def test_no_kept_parent_gives_an_empty_level():
    spec = GridSpec(zooms=(13, 14), cell_size_m={13: 10240, 14: 5120})
    empty = children_in_region(
        pd.DataFrame({"cell_id": []}), 14, spec, shapely.box(0, 0, 1, 1), 0.5
    )
    assert len(empty) == 0 and "shard" in empty.columns
