"""Bad growth configuration fails before any job with the key and the fix; the shipped config
validates and its windows come out in time order."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from minescan.errors import MinescanInputError
from minescan.growth.config import check_growth, growth_windows

REPO = Path(__file__).resolve().parents[3]
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
EPOCHS = {
    "2019": ["2019-01-01", "2020-01-01"],
    "2021": ["2021-01-01", "2022-01-01"],
    "2019h2": ["2019-07-01", "2020-07-01"],
    "back": ["2023-01-01", "2022-01-01"],
}


def shipped():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.mark.slow
def test_shipped_growth_section_validates_and_orders_the_windows():
    config = shipped()
    validate(copy.deepcopy(config), schema=SCHEMA)
    growth = {**config["growth"], "epochs": ["2023", "2019", "2021"]}
    windows = check_growth(growth, config["imagery"], config["grid"]["zoom_levels"])
    assert [w.epoch for w in windows] == ["2019", "2021", "2023"]
    assert windows[0].end == "2020-01-01"


@pytest.mark.parametrize(
    ("epochs", "message"),
    [
        (["2019", "2019h2"], "2019 \\[2019-01-01, 2020-01-01\\) and 2019h2 .* overlap"),
        (["2019", "back"], "imagery.epochs.back .* runs from 2023-01-01 back to 2022-01-01"),
        (["2019", "2024"], "growth.epochs \\['2024'\\] are not keys of imagery.epochs"),
        (["2019"], "fewer than two"),
    ],
)
def test_bad_windows_name_the_key_and_the_fix(epochs, message):
    with pytest.raises(MinescanInputError, match=message) as error:
        growth_windows(epochs, EPOCHS)
    assert "->" in str(error.value)  # the remedy follows


def test_negative_new_site_distance_is_refused():
    config = shipped()
    growth = {**config["growth"], "new_site_distance_m": -5}
    with pytest.raises(MinescanInputError, match="growth.new_site_distance_m is -5, below 0"):
        check_growth(growth, config["imagery"], [14, 15, 16])


def test_a_zoom_off_the_grid_and_a_missing_date_column_are_refused(tmp_path):
    config = shipped()
    with pytest.raises(MinescanInputError, match="growth.zoom 12 is not a zoom level"):
        check_growth({**config["growth"], "zoom": 12}, config["imagery"], [14, 15, 16])
    polygons = str(REPO / config["growth"]["polygons"])
    with pytest.raises(MinescanInputError, match="no column 'first_year'"):
        check_growth(
            {**config["growth"], "polygons": polygons, "date_column": "first_year"},
            config["imagery"],
            [14, 15, 16],
        )


@pytest.mark.slow
def test_snakemake_refuses_overlapping_windows_before_any_job(tmp_path):
    config = shipped()
    config["imagery"]["epochs"]["2019b"] = ["2019-06-01", "2020-06-01"]
    config["growth"]["epochs"] = ["2019", "2019b"]
    path = tmp_path / "overlap.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "growth.epochs 2019 [2019-01-01, 2020-01-01) and 2019b" in done.stdout + done.stderr
    assert "Building DAG" not in done.stdout + done.stderr  # refused while parsing
