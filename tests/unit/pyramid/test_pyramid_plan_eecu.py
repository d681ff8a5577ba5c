"""The planner's Earth Engine estimate: each level's cells at 10 m (Earth Engine composites every
cell at 10 m, whatever its pixel size), a pyramid total as the sum of its levels."""

from __future__ import annotations

import pandas as pd
import pytest

from minescan.imagery.backends.gee_cost import CostModel
from minescan.pyramid import plan_cli


def test_levels_cost_their_area_at_10_m_and_a_total_sums_its_scan():
    model = CostModel(0.5, 11, 73, high_volume=False)
    table = pd.DataFrame(
        {
            "scan": ["exhaustive", "pyramid", "pyramid", "pyramid"],
            "level": ["z16", "z13", "z16", "total"],
            "cell_size_m": [1280, 10240, 1280, None],
            "pixel_size_m": [10, 80, 10, None],
            "cells": [64, 1, 4, 5],
        }
    )
    hours = plan_cli.with_eecu(table, model)["eecu_hours"].tolist()
    per_1280 = 128 * 128 * 12 * 73 * 0.5 / 1e6 / 3600
    assert hours[0] == pytest.approx(64 * per_1280)
    assert hours[1] == pytest.approx(64 * per_1280)  # one 80 m cell = 64 cells of 1280 m
    assert hours[2] == pytest.approx(4 * per_1280)
    assert hours[3] == pytest.approx(68 * per_1280)


def test_the_schemas_defaults_make_the_model():
    model = plan_cli.gee_cost_model(11)
    assert (model.seconds_per_million_values, model.high_volume_factor) == (0.5, 1.5)
    assert model.high_volume and model.images == 73 and model.bands == 11
    assert plan_cli.gee_cost_model(3, ["2019-06-01", "2019-07-01"], 2.0).images == 6


def test_the_command_prints_the_estimate(tmp_path, capsys):
    plan_cli.main(
        ["--region", "112", "-3", "113", "-2", "--levels", "15", "16"]
        + ["--eecu-seconds-per-million-values", "1.0", "--csv", str(tmp_path / "plan.csv")]
    )
    out = capsys.readouterr().out
    assert "EECU-h" in out and "1 EECU-seconds per million values, 73 images" in out
    plan = pd.read_csv(tmp_path / "plan.csv")
    finest = plan[(plan["scan"] == "exhaustive") & (plan["level"] == "z16")].iloc[0]
    expected = finest["cells"] * 128 * 128 * 12 * 73 * 1.0 * 1.5 / 1e6 / 3600
    assert finest["eecu_hours"] == pytest.approx(expected)
