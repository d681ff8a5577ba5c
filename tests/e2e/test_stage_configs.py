"""The per-stage test configs (config/test/<stage>.yaml): each one's own command, as its header
prints it, plans only jobs of its stage and the stages before it (dry runs, all in one
process), and runs in a copy of the workflow, leaving the stage's products.

The real runs go in data-flow order in one copy, so a later stage reuses what an earlier one
made, as a developer's checkout does between runs. The whole suite runs the first two for
real; `pytest tests/e2e/test_stage_configs.py --stage-runs` runs all nine (about 5 minutes).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from dry_runs import split_output
from workflow_copy import REPO, copy_workflow, run_snakemake

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("stages")]

CONFIGS = REPO / "config" / "test"

# Rules of each stage, by name prefix; a stage's run may also plan the stages before it.
STAGE_RULES = {
    "grid": ("clean_polygons", "growth_polygons", "grid_", "region_cells", "growth_cells"),
    "imagery": ("tiles", "previews"),
    "pixels": ("pixels", "models_", "probability"),
    "detection": ("detection_",),
    "footprints": ("footprints_",),
    "pyramid": ("pyramid_",),
    "chips": ("chips_",),
    "growth": ("growth_",),
    "map": ("map_", "report_summary"),
}
ORDER = list(STAGE_RULES)
ALWAYS_RUN = ("grid", "imagery")  # the rest with --stage-runs
TARGETS = {"all", "grid", "imagery", "pixel_tables", "pixel_models", "probabilities"} | {
    "real_chips",
    "detection",
    "pyramid",
    "footprints",
    "growth",
    "map",
}


def documented_command(stage: str) -> list[str]:
    """The ``snakemake ...`` line in the config's header comment, without ``snakemake``."""
    text = (CONFIGS / f"{stage}.yaml").read_text()
    match = re.search(r"^#\s+(snakemake .+)$", text, re.M)
    assert match, f"config/test/{stage}.yaml: no command in its header"
    words = shlex.split(match.group(1))
    assert words[0] == "snakemake" and "--configfile" in words
    # run_snakemake gives the cores and the directory itself
    index = words.index("--cores")
    return words[1:index] + words[index + 2 :]


def planned_rules(output: str) -> set[str]:
    """The rules of the job table Snakemake prints before running."""
    rules = set()
    for table in re.findall(r"job\s+count\n-+\s+-+\n(.*?)\ntotal", output, re.S):
        rules |= {line.split()[0] for line in table.splitlines() if line.strip()}
    return rules


def allowed(stage: str) -> tuple[str, ...]:
    before = ORDER[: ORDER.index(stage) + 1]
    return tuple(p for name in before for p in STAGE_RULES[name])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("stages") / "minescan")


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """Each stage's command as a dry run in a fresh copy: (exit code, output)."""
    fresh = copy_workflow(tmp_path_factory.mktemp("stage_plans") / "minescan")
    commands = {
        stage: shlex.join(["-n", "--cores", "2", *documented_command(stage)]) for stage in ORDER
    }
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("dry_runs.py")), *commands.values()],
        cwd=fresh,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    outputs = {command: (code, output) for command, code, output in split_output(run.stdout)}
    return {stage: outputs[command] for stage, command in commands.items()}


def check_scope(stage: str, output: str) -> None:
    planned = planned_rules(output)
    assert planned, output[-3000:]
    strays = {r for r in planned if r not in TARGETS and not r.startswith(allowed(stage))}
    assert not strays, f"{stage}: jobs of later stages planned: {sorted(strays)}"


def test_every_stage_has_a_test_config():
    assert sorted(p.stem for p in CONFIGS.glob("*.yaml")) == sorted(STAGE_RULES)


def check_products(stage: str, results) -> None:
    if stage == "grid":
        cells = gpd.read_parquet(results / "grid" / "z16" / "cells.parquet")
        assert 0 < len(cells) < 100  # a few cells, not the demo's 137
    elif stage == "imagery":
        tiles = list((results / "tiles").rglob("*.tif"))
        cells = gpd.read_parquet(results / "grid" / "z16" / "cells.parquet")
        assert len(tiles) == len(cells)
    elif stage == "pixels":
        assert list((results / "models").rglob("*.csv"))
        assert list((results / "probability").rglob("*.tif"))
    elif stage == "detection":
        assert list((results / "detection").rglob("weights.pt"))
        assert list((results / "detection").rglob("detections/*.parquet"))
    elif stage == "footprints":
        assert list((results / "footprints").rglob("*.gpkg"))
    elif stage == "pyramid":
        assert list((results / "pyramid").rglob("*.gpkg"))
    elif stage == "chips":
        alarms = pd.read_csv(results / "chips" / "shipped" / "mine_free.csv")
        assert (alarms["scene"] == "all").any()
    elif stage == "growth":
        assert list((results / "growth").rglob("*.csv"))
    elif stage == "map":
        assert (results / "map" / "index.html").stat().st_size > 0


@pytest.mark.parametrize("stage", ORDER)
def test_a_stage_config_plans_its_stage_alone(plans, stage):
    code, output = plans[stage]
    assert code == 0, output[-3000:]
    check_scope(stage, output)


@pytest.mark.parametrize("stage", ORDER)
def test_a_stage_config_runs_its_stage_alone(request, workdir, stage):
    if stage not in ALWAYS_RUN and not request.config.getoption("--stage-runs"):
        pytest.skip("run with --stage-runs (the demo covers the stage in the whole suite)")
    args = documented_command(stage)
    assert set(args[: args.index("--configfile")]) <= TARGETS
    run = run_snakemake(workdir, *args)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    check_scope(stage, output)
    check_products(stage, workdir / "results")
