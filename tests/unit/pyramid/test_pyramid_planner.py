"""The pyramid planner against brute force on the shipped MAUS sample (East Kalimantan)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from minescan.errors import MinescanInputError
from minescan.grid.build import GridSpec
from minescan.grid.regions import (
    cell_land_fraction,
    descendant_land_fraction,
    region_cells,
    region_land_cells,
    zone_pieces,
)
from minescan.grid.shards import assign_shards
from minescan.outputs import PROVENANCE_KEY
from minescan.pyramid import plan_cli
from minescan.pyramid.planner import (
    EXHAUSTIVE,
    JOBS_PER_SHARD,
    PYRAMID,
    expected_scans,
    load_polygons,
    meets_goal,
    plan,
    polygons_hull,
    survey,
)

# Coal mines of Kutai Kartanegara and the Mahakam delta's coast: land, sea and mixed cells.
REGION = shapely.box(116.9, -0.8, 117.6, -0.25)
ZOOMS = (14, 15, 16)
SIZES = {14: 5120, 15: 2560, 16: 1280}
PIXELS = {14: 40, 15: 20, 16: 10}
MAX_CELLS = 64
BLOCK = 327680


@pytest.fixture(scope="module")
def polygons(sample_polygons):
    return load_polygons([sample_polygons])


@pytest.fixture(scope="module")
def exact(polygons):
    return survey(REGION, polygons, ZOOMS, SIZES, MAX_CELLS, BLOCK, sample_cells=10**6)


@pytest.fixture(scope="module")
def brute(polygons):
    """Every level's cells the slow way: region mode per level, and the pyramid's descent."""
    spec = GridSpec(zooms=ZOOMS, cell_size_m=SIZES)
    pieces = {p.epsg: p for p in zone_pieces(REGION)}
    levels = []
    reach = region_land_cells(REGION, SIZES[ZOOMS[0]])
    for k, zoom in enumerate(ZOOMS):
        every = region_cells(REGION, zoom, spec, polygons)
        mine = every[every["overlap_fraction"] > 0]
        mine_keys = set(zip(mine["epsg"], mine["i"], mine["j"], strict=True))
        reach_keys = set(zip(reach["epsg"], reach["i"], reach["j"], strict=True))
        shards = assign_shards(
            every["epsg"].to_numpy(),
            every["i"].to_numpy(),
            every["j"].to_numpy(),
            SIZES[zoom],
            BLOCK,
            MAX_CELLS,
        )
        levels.append(
            {
                "land": len(every),
                "reachable": len(reach),
                "mine_land": len(mine),
                "mine_reachable": len(mine_keys & reach_keys),
                "shards": len(np.unique(shards)),
            }
        )
        if k + 1 == len(ZOOMS):
            break
        size = SIZES[ZOOMS[k + 1]]
        children = []
        for epsg, group in reach.groupby("epsg"):
            ci = (group["i"].to_numpy()[:, None] * 2 + np.array([0, 1, 0, 1])).ravel()
            cj = (group["j"].to_numpy()[:, None] * 2 + np.array([0, 0, 1, 1])).ravel()
            ok = pieces[epsg].meets(ci, cj, size) & (cell_land_fraction(epsg, ci, cj, size) >= 0.5)
            children.append(pd.DataFrame({"epsg": epsg, "i": ci[ok], "j": cj[ok]}))
        reach = pd.concat(children, ignore_index=True)
    return pd.DataFrame(levels)


def test_survey_counts_are_those_of_brute_force(exact, brute):
    assert exact.mixed_walked == exact.mixed_cells > 0  # coast and edges were walked, exactly
    np.testing.assert_array_equal(exact.land, brute["land"])
    np.testing.assert_array_equal(exact.reachable, brute["reachable"])
    np.testing.assert_array_equal(exact.mine_land, brute["mine_land"])
    np.testing.assert_array_equal(exact.mine_reachable, brute["mine_reachable"])
    assert (exact.reachable[1:] < exact.land[1:]).all()  # land below sea parents is unreachable
    # Finer cells hug the region's edge closer: less mining area of the edge polygons.
    assert (np.diff(exact.area_total_m2) <= 1e-6).all()
    assert (exact.area_reachable_m2 <= exact.area_land_m2 + 1e-6).all()
    assert exact.area_total_m2[0] / 1e6 == pytest.approx(exact.area_land_m2[0] / 1e6, rel=0.05)


def test_sampled_counts_are_within_their_standard_errors(polygons, exact):
    sampled = survey(REGION, polygons, ZOOMS, SIZES, MAX_CELLS, BLOCK, sample_cells=40, seed=3)
    assert sampled.mixed_walked == 40 < sampled.mixed_cells
    assert sampled.land[0] == exact.land[0] and sampled.land_se[0] == 0  # level 1: exact
    assert (sampled.land_se[1:] > 0).all()
    assert (np.abs(sampled.land - exact.land) <= 4 * sampled.land_se + 1e-9).all()
    assert (np.abs(sampled.reachable - exact.reachable) <= 4 * sampled.reachable_se + 1e-9).all()
    # Mine cells never depend on the sample.
    np.testing.assert_array_equal(sampled.mine_reachable, exact.mine_reachable)


def test_estimated_shards_are_close_to_assign_shards(exact, brute):
    table = expected_scans(exact, PIXELS, 11, 0.98, 0.02)
    rows = table[(table["scan"] == EXHAUSTIVE) & (table["level"] != "total")]
    assert rows["shards"].iloc[0] == brute["shards"].iloc[0]  # level 1 is exact
    np.testing.assert_allclose(rows["shards"], brute["shards"], rtol=0.15)


def test_the_model_at_its_limits(exact):
    pyramid = slice(len(ZOOMS) + 1, 2 * len(ZOOMS) + 1)
    # A screen that keeps everything scores every reachable cell.
    everything = expected_scans(exact, PIXELS, 11, 1.0, 1.0).iloc[pyramid]
    np.testing.assert_allclose(everything["cells"], exact.reachable)
    np.testing.assert_allclose(everything["kept"], exact.reachable)
    np.testing.assert_allclose(
        everything["area_recall_scored"], exact.area_reachable_m2 / exact.area_total_m2
    )
    # A perfect screen scores the mine cells' children only, and misses no reachable area.
    perfect = expected_scans(exact, PIXELS, 11, 1.0, 0.0).iloc[pyramid]
    np.testing.assert_allclose(perfect["cells"].iloc[1:], exact.mine_children[:-1])
    np.testing.assert_allclose(perfect["mine_cells"], exact.mine_reachable)
    np.testing.assert_allclose(perfect["kept"], exact.mine_reachable)
    # Recall compounds down the levels; false positives only cost cells.
    lossy = expected_scans(exact, PIXELS, 11, 0.9, 0.0).iloc[pyramid]
    reachable_share = exact.area_reachable_m2 / exact.area_total_m2
    np.testing.assert_allclose(lossy["area_recall_scored"], reachable_share * 0.9 ** np.arange(3))
    noisy = expected_scans(exact, PIXELS, 11, 0.9, 0.2).iloc[pyramid]
    np.testing.assert_allclose(noisy["area_recall_scored"], lossy["area_recall_scored"])
    assert (noisy["cells"].iloc[1:].to_numpy() > lossy["cells"].iloc[1:].to_numpy()).all()


def test_pixels_bytes_jobs_and_totals(polygons):
    table = plan(REGION, polygons, ZOOMS, SIZES, PIXELS, 11, MAX_CELLS, BLOCK, 0.98, 0.02)
    assert list(table["scan"]) == [EXHAUSTIVE] * 4 + [PYRAMID] * 4
    assert list(table["level"]) == ["z14", "z15", "z16", "total"] * 2
    levels = table[table["level"] != "total"]
    assert (levels["tile_px"] == 128).all()
    np.testing.assert_allclose(levels["pixels"], levels["cells"] * 128**2)
    np.testing.assert_allclose(table["bytes"], table["pixels"] * 2 * 12)  # 11 bands + mine
    np.testing.assert_allclose(table["jobs"], JOBS_PER_SHARD * table["shards"])
    exhaustive = table[table["scan"] == EXHAUSTIVE]
    pd.testing.assert_series_equal(
        exhaustive.iloc[-1][["cells", "pixels", "shards"]],
        exhaustive.iloc[-2][["cells", "pixels", "shards"]],
        check_names=False,
    )
    pyramid = table[table["scan"] == PYRAMID]
    for column in ("cells", "shards", "jobs", "pixels", "bytes"):
        assert pyramid[column].iloc[-1] == pytest.approx(pyramid[column].iloc[:-1].sum())
    assert exhaustive["pixel_fraction"].iloc[-1] == 1.0
    assert pyramid["pixel_fraction"].iloc[-1] == pytest.approx(
        pyramid["pixels"].iloc[-1] / exhaustive["pixels"].iloc[-1]
    )
    # Level 1 of the pyramid is the exhaustive scan of the coarsest level.
    pd.testing.assert_series_equal(
        pyramid.iloc[0][["cells", "shards", "pixels"]],
        exhaustive.iloc[0][["cells", "shards", "pixels"]],
        check_names=False,
    )
    goal = meets_goal(table)
    assert goal["area_recall_reaching_finest"] == pytest.approx(0.98**2, rel=0.02)
    assert goal["goal"] == (goal["pixel_fraction"] <= 0.10 and 0.98**2 >= 0.95)


def test_screen_quality_per_level(exact):
    by_list = expected_scans(exact, PIXELS, 11, [0.99, 0.98, 0.9], [0.05, 0.02, 0.0])
    by_zoom = expected_scans(
        exact, PIXELS, 11, {14: 0.99, 15: 0.98, 16: 0.9}, {14: 0.05, 15: 0.02, 16: 0.0}
    )
    pd.testing.assert_frame_equal(by_list, by_zoom)
    with pytest.raises(MinescanInputError, match="3 levels"):
        expected_scans(exact, PIXELS, 11, [0.99, 0.98], 0.02)
    with pytest.raises(MinescanInputError, match=r"\[0, 1\]"):
        expected_scans(exact, PIXELS, 11, 1.5, 0.02)


def test_bad_levels_and_regions_are_named(polygons):
    args = (polygons,)
    with pytest.raises(MinescanInputError, match="not consecutive"):
        plan(REGION, *args, (14, 16), SIZES, PIXELS, 11, MAX_CELLS, BLOCK, 0.98, 0.02)
    with pytest.raises(MinescanInputError, match="do not nest"):
        plan(REGION, *args, ZOOMS, {**SIZES, 16: 1000}, PIXELS, 11, MAX_CELLS, BLOCK, 0.98, 0.02)
    with pytest.raises(MinescanInputError, match="does not divide"):
        plan(REGION, *args, ZOOMS, SIZES, {**PIXELS, 14: 30}, 11, MAX_CELLS, BLOCK, 0.98, 0.02)
    sea = shapely.box(118.5, -1.5, 118.8, -1.2)  # Makassar Strait
    with pytest.raises(MinescanInputError, match="no land cells"):
        plan(sea, *args, ZOOMS, SIZES, PIXELS, 11, MAX_CELLS, BLOCK, 0.98, 0.02)


def test_descendant_land_fraction_is_cell_land_fraction():
    piece = zone_pieces(REGION)[0]
    i, j = piece.cells(20480)
    for depth in (1, 2):
        fraction = descendant_land_fraction(piece.epsg, i, j, depth, 20480 >> depth)
        side = 2**depth
        cols = np.arange(side * side)
        di = (i[:, None] << depth) + cols % side
        dj = (j[:, None] << depth) + cols // side
        expected = cell_land_fraction(piece.epsg, di.ravel(), dj.ravel(), 20480 >> depth)
        np.testing.assert_array_equal(fraction.ravel(), expected)
        assert 0 < (fraction == 1).mean() < 1


def test_hull_outlines_the_polygons(polygons):
    hull = polygons_hull(polygons)
    assert shapely.covers(hull, polygons.geometry.to_numpy()).all()


def test_plan_step_writes_the_table_and_its_provenance(tmp_path, sample_polygons):
    table = plan_cli.plan_step(
        region=list(REGION.bounds),
        polygons=str(sample_polygons),
        zooms=ZOOMS,
        cell_sizes=SIZES,
        pixel_sizes=PIXELS,
        bands=11,
        max_cells_per_shard=MAX_CELLS,
        shard_block_m=BLOCK,
        recall=0.98,
        false_positive_rate=0.02,
        out_csv=str(tmp_path / "plan.csv"),
        out_json=str(tmp_path / "plan.json"),
    )
    written = pd.read_csv(tmp_path / "plan.csv")
    assert list(written["level"]) == list(table["level"])
    np.testing.assert_allclose(written["pixels"], table["pixels"], rtol=1e-6)
    summary = json.loads((tmp_path / "plan.json").read_text())
    assert summary[PROVENANCE_KEY]["params"]["recall"] == 0.98
    assert set(summary["goal"]) >= {"pixel_fraction", "goal", "strict"}


def test_command_prints_the_table_and_the_sweep(tmp_path, sample_polygons, capsys):
    west, south, east, north = REGION.bounds
    plan_cli.main(
        [
            "--region",
            *(str(v) for v in (west, south, east, north)),
            "--polygons",
            str(sample_polygons),
            "--levels",
            "14",
            "15",
            "16",
            "--recall",
            "0.98",
            "0.99,0.99,0.9",
            "--false-positive-rate",
            "0.01",
            "0.05",
            "--csv",
            str(tmp_path / "plan.csv"),
        ]
    )
    out = capsys.readouterr().out
    assert "exhaustive" in out and "pyramid" in out and "px frac" in out
    assert "0.99,0.99,0.9" in out
    assert len(pd.read_csv(tmp_path / "plan.csv")) == 4 * 8  # four qualities, eight rows each


@pytest.mark.slow
def test_expected_pyramid_is_the_mean_of_simulated_scans(polygons, exact):
    """Random screens of recall 0.9 and false-positive rate 0.1 run down the real cells."""
    recall, fpr, runs = 0.9, 0.1, 60
    spec = GridSpec(zooms=ZOOMS, cell_size_m=SIZES)
    pieces = {p.epsg: p for p in zone_pieces(REGION)}
    area = {}
    for zoom in ZOOMS:
        every = region_cells(REGION, zoom, spec, polygons)
        keys = zip(every["epsg"], every["i"], every["j"], strict=True)
        area[zoom] = dict(zip(keys, every["overlap_fraction"] * SIZES[zoom] ** 2, strict=True))
    rng = np.random.default_rng(0)
    first = region_land_cells(REGION, SIZES[ZOOMS[0]])
    results = np.zeros((runs, len(ZOOMS), 3))  # cells, shards, mining area scored
    for run in range(runs):
        cells = first
        for k, zoom in enumerate(ZOOMS):
            keys = zip(cells["epsg"], cells["i"], cells["j"], strict=True)
            mined = np.array([area[zoom].get(key, 0.0) for key in keys])
            shards = assign_shards(
                *(cells[c].to_numpy() for c in ("epsg", "i", "j")), SIZES[zoom], BLOCK, MAX_CELLS
            )
            results[run, k] = len(cells), len(np.unique(shards)), mined.sum()
            if k + 1 == len(ZOOMS):
                break
            odds = np.where(mined > 0, recall, fpr)
            kept = cells[rng.random(len(cells)) < odds]
            size = SIZES[ZOOMS[k + 1]]
            children = []
            for epsg, group in kept.groupby("epsg"):
                ci = (group["i"].to_numpy()[:, None] * 2 + np.array([0, 1, 0, 1])).ravel()
                cj = (group["j"].to_numpy()[:, None] * 2 + np.array([0, 0, 1, 1])).ravel()
                ok = pieces[epsg].meets(ci, cj, size) & (
                    cell_land_fraction(epsg, ci, cj, size) >= 0.5
                )
                children.append(pd.DataFrame({"epsg": epsg, "i": ci[ok], "j": cj[ok]}))
            cells = pd.concat(children, ignore_index=True)
    table = expected_scans(exact, PIXELS, 11, recall, fpr)
    pyramid = table[(table["scan"] == PYRAMID) & (table["level"] != "total")]
    mean, error = results.mean(axis=0), results.std(axis=0) / np.sqrt(runs)
    assert (np.abs(pyramid["cells"].to_numpy() - mean[:, 0]) <= 3 * error[:, 0] + 1e-9).all()
    np.testing.assert_allclose(pyramid["shards"], mean[:, 1], rtol=0.15)
    np.testing.assert_allclose(
        pyramid["area_recall_scored"], mean[:, 2] / exact.area_total_m2, atol=0.02
    )
