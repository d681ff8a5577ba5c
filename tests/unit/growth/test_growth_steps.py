"""The growth rules as functions: epoch-aware synthetic tiles of the AMW sample, footprints
from their mine band (a perfect segmentation), tables, evaluation and figures; a cloudy cell is
a per-cell record; a wrong footprints file fails before anything is written."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from fixtures.growth import amw_cells, amw_polygons, mine_band_footprints

from minescan.errors import MinescanInputError
from minescan.growth.figures import growth_figures_step
from minescan.growth.gallery import top_cells
from minescan.growth.steps import measure_growth_step
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.request import tile_request
from minescan.imagery.tiles import make_shard_tiles

IMAGERY = {"backend": "synthetic", "bands": list(DEFAULT_BANDS[:4]), "synthetic": {"seed": 1}}
WINDOWS = [
    {"epoch": "2019", "start": "2019-01-01", "end": "2020-01-01"},
    {"epoch": "2022", "start": "2022-01-01", "end": "2023-01-01"},
]
BUSY = (-55.085, -10.09, -55.075, -10.08)
NAMES = ["areas", "changes", "cells", "new_sites", "gpkg", "evaluation", "summary"]
SUFFIX = {"cells": "parquet", "new_sites": "parquet", "gpkg": "gpkg", "summary": "json"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("growth_steps")
    polygons = amw_polygons(tmp)
    cells = amw_cells(tmp, BUSY, zoom=16)
    footprints, statuses = [], {}
    for window in WINDOWS:
        epoch = window["epoch"]
        request = tile_request(IMAGERY, [window["start"], window["end"]], dated_polygons=True)
        status = tmp / f"{epoch}.status.csv"
        make_shard_tiles(
            cells=cells,
            polygons=polygons,
            shard="s0",
            tiles_dir=tmp / epoch,
            status=status,
            imagery=request,
        )
        path = tmp / f"{epoch}.footprints.parquet"
        mine_band_footprints(tmp / epoch, epoch, 16).to_parquet(path)
        footprints.append(str(path))
        statuses[epoch] = [str(status)]
    return tmp, polygons, cells, footprints, statuses


def outputs(folder):
    return {name: str(folder / f"{name}.{SUFFIX.get(name, 'csv')}") for name in NAMES}


def run(inputs, folder, footprints=None, statuses=None):
    tmp, polygons, cells, found, seen = inputs
    return measure_growth_step(
        cells=str(cells),
        polygons=str(polygons),
        footprints=footprints or found,
        statuses=statuses or seen,
        windows=WINDOWS,
        new_site_distance_m=100.0,
        region="Peixoto",
        imagery="SIMULATED imagery (synthetic backend)",
        outputs=outputs(folder),
    )


@pytest.mark.slow
def test_perfect_footprints_measure_the_polygons_growth(inputs, tmp_path):
    run(inputs, tmp_path)
    evaluation = pd.read_csv(tmp_path / "evaluation.csv")
    row = evaluation.iloc[0]
    assert row["true_new_m2"] > 5e4  # over 5 ha of new mining in four cells
    # Only the mine band's pixel edges differ from the polygons.
    assert abs(row["new_error_pct"]) < 5
    assert abs(row["area_to_error_pct"]) < 2
    assert row["imagery"].startswith("SIMULATED")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["simulated"] and abs(summary["total_new_error_pct"]) < 5
    changes = pd.read_csv(tmp_path / "changes.csv")
    assert set(changes["level"]) == {"cell", "country", "region"}
    assert changes.query("level == 'country'")["key"].tolist() == ["BRA"]
    cells = gpd.read_parquet(tmp_path / "cells.parquet")
    assert cells.crs.to_epsg() == 4326 and len(cells) == 4
    assert gpd.read_parquet(tmp_path / "new_sites.parquet").crs.to_epsg() == 4326
    growth_figures_step(
        cells=str(tmp_path / "cells.parquet"),
        new_sites=str(tmp_path / "new_sites.parquet"),
        areas=str(tmp_path / "areas.csv"),
        evaluation=str(tmp_path / "evaluation.csv"),
        footprints=inputs[3],
        tiles={w["epoch"]: [str(inputs[0] / w["epoch"])] for w in WINDOWS},
        epochs=[w["epoch"] for w in WINDOWS],
        region="Peixoto",
        imagery="SIMULATED imagery",
        map_png=str(tmp_path / "map.png"),
        area_png=str(tmp_path / "area.png"),
        gallery_png=str(tmp_path / "gallery.png"),
    )
    for name in ("map.png", "area.png", "gallery.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The gallery shows the cells that grew, most first.
    span = cells.groupby("cell_id")["new_m2"].sum().sort_values(ascending=False)
    assert top_cells(cells, 2) == list(span[span > 0].index[:2])
    assert top_cells(cells, 2)


@pytest.mark.slow
def test_a_window_without_a_clear_observation_is_a_cell_record(inputs, tmp_path):
    tmp, *_, statuses = inputs
    later = pd.read_csv(statuses["2022"][0], dtype={"reason": object, "tile": object})
    cloudy = later["cell_id"].iloc[0]
    later.loc[0, ["status", "reason"]] = ["cloudy", "valid fraction 0.3 % < 1 %"]
    later.loc[0, "tile"] = None
    path = tmp_path / "cloudy.status.csv"
    later.to_csv(path, index=False)
    changes = run(inputs, tmp_path, statuses={**statuses, "2022": [str(path)]})
    row = changes[(changes["level"] == "cell") & (changes["key"] == cloudy)].iloc[0]
    assert "no clear observation at 2022" in row["status"] and "cloudy" in row["status"]
    assert pd.isna(row["new_m2"]) and pd.isna(row["lost_m2"])
    region = changes.query("level == 'region'").iloc[0]
    assert region["cells_used"] == 3 and region["cells_left_out"] == 1
    areas = pd.read_csv(tmp_path / "areas.csv", dtype={"epoch": str})
    pick = (areas["level"] == "cell") & (areas["key"] == cloudy) & (areas["epoch"] == "2022")
    cell = areas[pick].iloc[0]
    assert pd.isna(cell["mine_area_m2"]) and "cloudy" in cell["reason"]


def test_footprints_of_another_window_fail_before_anything_is_written(inputs, tmp_path):
    tmp, polygons, cells, footprints, statuses = inputs
    swapped = [footprints[1], footprints[0]]
    with pytest.raises(MinescanInputError, match="epochs \\['2022'\\], read as the footprints"):
        run(inputs, tmp_path / "out", footprints=swapped)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
