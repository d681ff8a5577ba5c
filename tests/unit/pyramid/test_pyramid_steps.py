"""The level checkpoint as a step: children of the kept cells, and a level that keeps nothing."""

import json

import geopandas as gpd
import pandas as pd
import pytest

from minescan.grid.build import GridSpec
from minescan.grid.regions import region_cells, region_geometry
from minescan.outputs import write_geoparquet, write_parquet
from minescan.probability.apply import SCORE_COLUMNS
from minescan.pyramid.steps import level_cells_step, merge_screen_scores

REGION = [117.03, -0.55, 117.53, -0.05]
LEVEL = {
    "cell_size_m": 5120,
    "parent_zoom": 13,
    "pixel_size_m": 10,
    "min_overlap_fraction": 0.001,
    "max_cells_per_shard": 128,
    "shard_block_m": 327680,
}


def _level(tmp_path, scores: list[float]):
    spec = GridSpec(zooms=(13,), cell_size_m={13: 10240})
    parents = region_cells(region_geometry(REGION), 13, spec)
    write_geoparquet(parents, tmp_path / "parents.parquet", {})
    table = pd.DataFrame({"cell_id": parents["cell_id"], "max_probability": 0.0})
    table.loc[: len(scores) - 1, "max_probability"] = scores
    write_parquet(table, tmp_path / "scores.parquet", {})
    (tmp_path / "z13.json").write_text(
        json.dumps({"statistic": "max_probability", "threshold": 0.5})
    )
    level_cells_step(
        zoom=14,
        level=LEVEL,
        region=REGION,
        min_land_fraction=0.5,
        cells=str(tmp_path / "cells.parquet"),
        shards=str(tmp_path / "shards.csv"),
        provenance={},
        parent_cells=str(tmp_path / "parents.parquet"),
        parent_scores=str(tmp_path / "scores.parquet"),
        parent_threshold=str(tmp_path / "z13.json"),
    )
    return parents, gpd.read_parquet(tmp_path / "cells.parquet")


def test_children_of_the_kept_cells_form_the_next_level(tmp_path):
    parents, children = _level(tmp_path, [0.9, 0.7])
    kept = set(parents["cell_id"].iloc[:2])
    assert 0 < len(children) <= 8
    assert set(children["parent_id"]) <= kept
    shards = pd.read_csv(tmp_path / "shards.csv")
    assert shards["n_cells"].sum() == len(children)


def test_a_level_that_keeps_nothing_gives_an_empty_next_level(tmp_path):
    _, children = _level(tmp_path, [])
    assert len(children) == 0
    assert pd.read_csv(tmp_path / "shards.csv").empty
    merge_screen_scores(scores=[], out=str(tmp_path / "none.parquet"), provenance={})
    assert list(pd.read_parquet(tmp_path / "none.parquet").columns) == list(SCORE_COLUMNS)


@pytest.mark.slow
def test_the_report_applies_each_levels_own_statistic(tmp_path):
    """A pixel level (detected_fraction) above a detector level (thresholded on its best box,
    max_probability): each level's cells are kept on its own threshold record's statistic."""
    import numpy as np
    import shapely

    from minescan.pyramid.steps import report_step

    geometry = region_geometry(REGION)
    for zoom, side, statistic in ((13, 10240, "detected_fraction"), (14, 5120, "max_probability")):
        cells = region_cells(geometry, zoom, GridSpec(zooms=(zoom,), cell_size_m={zoom: side}))
        write_geoparquet(cells, tmp_path / f"z{zoom}.parquet", {})
        scores = pd.DataFrame({c: np.nan for c in SCORE_COLUMNS}, index=range(len(cells)))
        scores["cell_id"] = cells["cell_id"].to_numpy()
        scores["model_seconds"] = 1.0
        # the two columns disagree: the pixel level keeps 2 cells, the detector level 3
        scores["detected_fraction"] = [0.9 if k < 2 else 0.0 for k in range(len(cells))]
        scores["max_probability"] = [0.8 if k < 3 else 0.1 for k in range(len(cells))]
        write_parquet(scores, tmp_path / f"s{zoom}.parquet", {})
        record = {"statistic": statistic, "threshold": 0.5}
        record["curve"] = [{"target_recall": 0.98, "threshold": 0.5}]
        (tmp_path / f"t{zoom}.json").write_text(json.dumps(record))
    box = shapely.box(117.1, -0.3, 117.12, -0.28)
    gpd.GeoDataFrame(geometry=[box], crs=4326).to_parquet(tmp_path / "polygons.parquet")
    frame = report_step(
        levels=[
            {"zoom": 13, "pixel_size_m": 80, "side_px": 128},
            {"zoom": 14, "pixel_size_m": 10, "side_px": 512},
        ],
        pyramid_cells=[str(tmp_path / f"z{z}.parquet") for z in (13, 14)],
        pyramid_scores=[str(tmp_path / f"s{z}.parquet") for z in (13, 14)],
        thresholds=[str(tmp_path / f"t{z}.json") for z in (13, 14)],
        region_cells=[],
        region_scores=[],
        polygons=str(tmp_path / "polygons.parquet"),
        region=REGION,
        bands=6,
        simulated=True,
        summary=str(tmp_path / "summary.csv"),
        curve=str(tmp_path / "curve.csv"),
        curve_png=str(tmp_path / "curve.png"),
        map_png=str(tmp_path / "levels.png"),
        provenance={},
    )
    kept = frame[frame["scan"] == "pyramid"].set_index("zoom")["cells_kept"]
    assert kept.to_dict() == {13: 2, 14: 3}
