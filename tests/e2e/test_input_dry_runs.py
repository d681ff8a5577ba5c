"""Every ``snakemake`` command of the README, and the everyday input mistakes, as dry runs of a
temporary copy of the workflow: the commands plan as printed, each mistake stops before any
job with its message, and nothing is written under ``results/``.

All commands run in one Python process (``dry_runs.py``), which saves the interpreter start
and imports of each; the whole file takes well under a minute.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from dry_runs import split_output
from fixtures.chips import tiny_chips
from fixtures.detection import labelled_folder
from rasterio.transform import from_origin
from test_workflow import REPO, _copy_workflow

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Commands that cannot be dry runs: the report needs a finished run, --lint is no run at all
# (it is checked on its own), and a command with <placeholders> is a template to fill in.
NOT_DRY_RUNS = {
    "--report": "the report is built from a finished run; a dry run cannot make it",
    "--lint": "a style check of the workflow, not a run; `snakemake --lint` is run on its own",
    "<": "a template: the <placeholders> are for the reader to fill in",
}
# Paths the README leaves to the reader, and what stands in for them here.
PLACEHOLDERS = {
    "my_config.yaml": "my_config.yaml",  # written into the copy: the shipped config
    "/data/s2": "s2",  # a folder of one raster with the configured bands, in the copy
    "/scratch/$USER/": "scratch/",  # Snakemake may create the SLURM log folder
}


def readme_commands() -> list[str]:
    """Each command line of the README's shell blocks that starts with ``snakemake``
    (continuation lines joined, trailing comments dropped)."""
    commands, fence, pending = [], None, ""
    for line in (REPO / "README.md").read_text().splitlines():
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            continue
        if fence not in ("bash", "sh", ""):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        command, pending = re.sub(r"\s+#.*$", "", pending.strip()), ""
        if command.startswith("snakemake"):
            commands.append(" ".join(command.split()))
    return commands


def _dry(command: str) -> str:
    """The command's arguments with -n first (a `--` may end the options later)."""
    for written, stand_in in PLACEHOLDERS.items():
        command = command.replace(written, stand_in)
    args = command.removeprefix("snakemake").strip()
    return args if re.search(r"(^|\s)-n(\s|$)", args) else f"-n {args}"


def _rasters(folder: Path, bands: list[str]) -> None:
    folder.mkdir(parents=True)
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": len(bands), "dtype": "uint16"}
    transform = from_origin(500000, 9970000, 10, 10)
    with rasterio.open(
        folder / "scene.tif", "w", crs="EPSG:32750", transform=transform, **profile
    ) as dst:
        dst.write(np.ones((len(bands), 8, 8), np.uint16))
        dst.descriptions = tuple(bands)


def _mistake_files(workdir: Path) -> None:
    """The files the mistakes of MISTAKES read."""
    (workdir / "mines.csv").write_text("lon,lat\n117.1,-0.3\n")
    flat = shapely.Polygon([(117.1, -0.3), (117.2, -0.3), (117.3, -0.3)])
    gpd.GeoDataFrame(geometry=[flat], crs=4326).to_file(workdir / "flat.gpkg")
    bad_chips = tiny_chips(workdir / "bad_chips")
    table = pd.read_csv(bad_chips / "chips.csv")
    table.loc[2, "t0_path"] = "../../../../etc/passwd"
    table.to_csv(bad_chips / "chips.csv", index=False)
    cut_chips = tiny_chips(workdir / "cut_chips")
    cut = cut_chips / "images" / "p3_t1.npy"
    cut.write_bytes(cut.read_bytes()[:6880])
    labelled_folder(workdir / "labelled", count=4, size=32)
    blank = labelled_folder(workdir / "blank_latitude", count=4, size=32)
    table = pd.read_csv(blank / "tiles.csv")
    table.loc[1, "latitude"] = None
    table.to_csv(blank / "tiles.csv", index=False)
    unquoted = (
        (workdir / "config" / "config.yaml")
        .read_text()
        .replace('"2019": ["2019-01-01", "2020-01-01"]', '"2019": [2019-01-01, 2020-01-01]')
    )
    assert unquoted != (workdir / "config" / "config.yaml").read_text()
    (workdir / "config" / "unquoted_dates.yaml").write_text(unquoted)


SMALL = "region: [117.03, -0.55, 117.53, -0.05]"
# name -> (dry-run arguments, text the output must hold). The first two and the labelled
# folder with channels null plan (exit 0); every other one stops before any job.
MISTAKES = {
    "typed overrides plan": (
        f"grid --config grid='{{zoom_levels: [14, 15, 16]}}' "
        f"pyramid='{{exhaustive: false, detect: false, {SMALL}}}'",
        "region_cells",
    ),
    "a bbox override is a bbox": (
        "pyramid --config pyramid='{region: [110, -1, 111, 0], exhaustive: false}'",
        "pyramid_cells",
    ),
    "a region over the job budget": (
        "pyramid --config pyramid='{region: \"BRA\"}'",
        "--config pyramid='{exhaustive: false}'",
    ),
    "models.zoom not a grid zoom": ("--config models='{zoom: 17}'", "models.zoom 17 is not one of"),
    "a schema error in one line": (
        "--config grid='{zoom_levels: [14, x]}'",
        "grid.zoom_levels[1]: 'x' is not of type 'integer'",
    ),
    "a missing local imagery folder": (
        "--config imagery='{backend: local, local: {path: absent/s2}}'",
        "imagery.local.path absent/s2 is not a folder (it does not exist)",
    ),
    "a month 13": (
        '--config imagery=\'{epochs: {"2019": ["2019-13-01", "2020-01-01"]}}\'',
        "imagery.epochs.2019: '2019-13-01' is not a date",
    ),
    "unquoted dates": ("--configfile config/unquoted_dates.yaml", "quote dates in YAML"),
    "a lon/lat table as polygons": (
        "--config polygons='{path: mines.csv}'",
        "mines.csv: is a table without geometries",
    ),
    "a layer typo": (
        "--config polygons='{layer: mines}'",
        "has no layer 'mines' -> set polygons.layer to one of ['maus_v1_idn_kutai_demo']",
    ),
    "only a zero-area polygon": (
        "--config polygons='{path: flat.gpkg}'",
        "flat.gpkg: no polygon with an area is left after cleaning",
    ),
    "a chips row outside its folder": (
        "--config chips='{path: bad_chips}'",
        "bad_chips/chips.csv: line 4: t0_path '../../../../etc/passwd' points outside",
    ),
    "a truncated chip": ("--config chips='{path: cut_chips}'", "p3_t1.npy: is truncated"),
    "a scored name that escapes results/": (
        "--config chips='{score: {../../../escape: bad_chips}}'",
        "chips.score: '../../../escape' does not match",
    ),
    "a labelled folder with channels null": (
        "detection --config detection='{labelled: {tiles: labelled}, zooms: [16]}'",
        "detection_dataset_folder",
    ),
    "a blank latitude in a labelled folder": (
        "--config detection='{labelled: {tiles: blank_latitude}}'",
        "blank_latitude/tiles.csv: line 3: latitude '' is not a number",
    ),
}


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory) -> tuple[Path, dict[str, tuple[int, str]]]:
    workdir = _copy_workflow(tmp_path_factory.mktemp("dry") / "minescan")
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    shutil.copy(workdir / "config" / "config.yaml", workdir / "my_config.yaml")
    _rasters(workdir / "s2", list(config["imagery"]["bands"]))
    commands = [_dry(c) for c in readme_commands() if not _skip_reason(c)]
    _mistake_files(workdir)
    commands += [_mistake(args) for args, _ in MISTAKES.values()]
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("dry_runs.py")), *commands],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        env={**os.environ, "USER": os.environ.get("USER", "user")},
    )
    results = {command: (code, output) for command, code, output in split_output(run.stdout)}
    assert len(results) == len(set(commands)), run.stdout[-3000:]
    return workdir, results


def _mistake(args: str) -> str:
    return f"-n --cores 1 {args}"


def _skip_reason(command: str) -> str | None:
    return next((why for flag, why in NOT_DRY_RUNS.items() if flag in command), None)


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_command_runs_as_printed(dry_runs, command):
    if reason := _skip_reason(command):
        pytest.skip(reason)
    code, output = dry_runs[1][_dry(command)]
    assert code == 0, output[-3000:]
    assert "This was a dry-run" in output or "Nothing to be done" in output, output[-3000:]


PLANS = {
    "typed overrides plan",
    "a bbox override is a bbox",
    "a labelled folder with channels null",
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_stops_before_any_job_with_its_message(dry_runs, name):
    workdir, results = dry_runs
    args, expected = MISTAKES[name]
    code, output = results[_mistake(args)]
    assert expected in output, output[-3000:]
    if name in PLANS:
        assert code == 0, output[-3000:]
        return
    assert code != 0
    assert "Traceback" not in output and "Failed validating" not in output, output[-3000:]
    assert not (workdir / "results").exists()
