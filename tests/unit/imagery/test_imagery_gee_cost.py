"""The Earth Engine compute estimate and its guard: the estimate scales with cells, 10 m pixels,
bands and images as its formula says, the high-volume endpoint weighs more, and a run over
imagery.gee.max_eecu_hours stops before Earth Engine is initialised or asked for a pixel."""

from __future__ import annotations

import logging
import sys

import pytest
from fixtures.fake_ee import FakeEE
from fixtures.imagery import cell_row, rectangle_polygons, write_cells

from minescan.cells import cell_from_row
from minescan.errors import MinescanInputError
from minescan.imagery.backends.gee import GeeBackend
from minescan.imagery.backends.gee_cost import (
    CostModel,
    RunLedger,
    add_cells_file,
    cell_pixels,
    estimate_level,
    images_in_window,
)
from minescan.imagery.tiles import make_shard_tiles

YEAR = ("2019-01-01", "2020-01-01")
BANDS = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12", "AOT"]


def model(high_volume: bool = True, bands: int = 11, dates=YEAR) -> CostModel:
    return CostModel(0.5, bands, images_in_window(dates), high_volume, 1.5)


def imagery(**gee) -> dict:
    options = {
        "project": "my-project",
        "backoff_s": 0.0,
        "eecu_seconds_per_million_values": 0.5,
        "high_volume_cost_factor": 1.5,
        "max_eecu_hours": 150,
        **gee,
    }
    return {"backend": "gee", "bands": ["B2"], "dates": list(YEAR), "gee": options}


def test_a_year_holds_73_acquisitions_at_a_5_day_revisit():
    assert images_in_window(YEAR) == 73
    assert images_in_window(("2019-06-01", "2019-07-01")) == 6
    assert images_in_window(("2019-06-01", "2019-06-02")) == 1


def test_the_estimate_is_the_formula_and_scales_with_cells_pixels_bands_and_images():
    cell = 512 * 512  # a 5.12 km cell at 10 m
    one = estimate_level("z14", [cell], model(high_volume=False))
    # 262,144 px x (11 bands + cs_cdf) x 73 images x 0.5 EECU-s per million values.
    assert one.eecu_hours == pytest.approx(262144 * 12 * 73 * 0.5 / 1e6 / 3600)
    assert one.per_1000_cells == pytest.approx(1000 * one.eecu_hours)
    many = estimate_level("z14", [cell] * 1000, model(high_volume=False))
    assert many.eecu_hours == pytest.approx(1000 * one.eecu_hours)
    assert many.per_1000_cells == pytest.approx(one.per_1000_cells)
    bigger = estimate_level("z13", [4 * cell], model(high_volume=False))
    assert bigger.eecu_hours == pytest.approx(4 * one.eecu_hours)
    rgb = estimate_level("z14", [cell], model(high_volume=False, bands=3))
    assert rgb.eecu_hours == pytest.approx(one.eecu_hours * 4 / 12)
    spring = ("2019-03-01", "2019-06-01")  # 92 days: 19 images
    season = estimate_level("z14", [cell], model(high_volume=False, dates=spring))
    assert season.eecu_hours == pytest.approx(one.eecu_hours * 19 / 73)
    assert "1 cells of about 512 x 512 px at 10 m" in one.describe()
    assert "standard endpoint" in one.describe()


def test_the_high_volume_endpoint_costs_more():
    pixels = [512 * 512] * 10
    standard = estimate_level("z14", pixels, model(high_volume=False))
    high = estimate_level("z14", pixels, model(high_volume=True))
    assert high.eecu_hours == pytest.approx(1.5 * standard.eecu_hours)
    assert "high-volume endpoint" in high.describe()


def test_coarse_cells_cost_their_area_at_10_m():
    """Coarse pixels are averaged from the 10 m composite: an 80 m cell costs its 10 m pixels."""
    row = cell_row(32750, 511120, 9944740, 5120)
    fine, coarse = cell_from_row(row, 10), cell_from_row(row, 80)
    assert coarse.width == 64
    for cell in (fine, coarse):
        px = cell_pixels([cell.xmin], [cell.ymin], [cell.xmax], [cell.ymax])
        assert px.tolist() == [512 * 512]


def test_the_run_counts_each_level_once_and_stops_above_the_guard():
    ledger = RunLedger(max_eecu_hours=1.0)
    level = estimate_level("pyramid/2019/z12", [512 * 512] * 20, model())  # 0.96 h
    assert 0.9 < level.eecu_hours < 1.0
    assert ledger.add(level) is True
    assert ledger.add(level) is False  # the DAG asks again: counted once
    assert ledger.eecu_hours == pytest.approx(level.eecu_hours)
    nxt = estimate_level("pyramid/2019/z13", [512 * 512] * 2, model())
    with pytest.raises(MinescanInputError) as refused:
        ledger.add(nxt)
    message = str(refused.value)
    assert "imagery.gee.max_eecu_hours (1)" in message
    assert "about 1.1 EECU-hours" in message
    assert "no tile of pyramid/2019/z13 was requested" in message
    assert "pyramid/2019/z12" in message and "pyramid/2019/z13" in message
    assert "raise imagery.gee.max_eecu_hours" in message and "calibrate" in message
    assert ledger.eecu_hours == pytest.approx(level.eecu_hours)  # the refused level is out
    assert RunLedger(max_eecu_hours=None).add(nxt) is True  # null: no guard


def test_a_levels_cells_table_is_estimated_and_logged_once(tmp_path):
    rows = [cell_row(32750, 511120 + 5120 * i, 9944740, 5120) for i in range(3)]
    cells = write_cells(tmp_path, rows)
    ledger = RunLedger(150)
    line = add_cells_file(ledger, cells, "training/2019/z14", imagery(), YEAR)
    assert line.startswith("Earth Engine estimate: training/2019/z14: 3 cells of about 512 x 512")
    assert "per 1,000 cells" in line and "imagery.gee.max_eecu_hours: 150" in line
    assert add_cells_file(ledger, cells, "training/2019/z14", imagery(), YEAR) is None
    stac = {**imagery(), "backend": "stac"}
    assert add_cells_file(RunLedger(150), cells, "x", stac, YEAR) is None
    assert add_cells_file(RunLedger(150), tmp_path / "absent.parquet", "x", imagery(), YEAR) is None


def _shard(tmp_path, backend: GeeBackend):
    rows = [cell_row(32750, 511120 + 1280 * i, 9944740, 1280) for i in range(4)]
    return make_shard_tiles(
        cells=write_cells(tmp_path, rows),
        polygons=rectangle_polygons(tmp_path, 32750, [(511200, 9944000, 511600, 9944400)]),
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery={"backend": "gee", "bands": ["B2"]},
        backend=backend,
    )


def test_a_job_over_the_guard_makes_no_request(monkeypatch, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    fake = FakeEE()
    monkeypatch.setitem(sys.modules, "ee", fake)
    backend = GeeBackend.from_config(imagery(max_eecu_hours=0.0001))
    with pytest.raises(MinescanInputError) as refused:
        _shard(tmp_path, backend)
    assert "this tiles job would take about" in str(refused.value)
    assert "over imagery.gee.max_eecu_hours (0.0001); nothing was requested" in str(refused.value)
    assert fake.requests == [] and fake.initialized == []  # not even initialised
    assert not (tmp_path / "status.csv").exists()
    assert "Earth Engine estimate (workload tag minescan-l2a): 4 cells to fetch" in caplog.text


def test_null_disables_the_guard(monkeypatch, tmp_path):
    fake = FakeEE()
    monkeypatch.setitem(sys.modules, "ee", fake)
    status = _shard(tmp_path, GeeBackend.from_config(imagery(max_eecu_hours=None)))
    assert (status["status"] == "ok").all()
    assert len(fake.requests) == 4 and len(fake.initialized) == 1
