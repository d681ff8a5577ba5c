"""Every ``snakemake`` command of the README and of the docs/ pages, and the everyday input
mistakes, as dry runs of a temporary copy of the workflow: the commands plan as printed, each
mistake stops before any job with its message, and nothing is written under ``results/``.

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

from minescan.grid.countries import country_geometry

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Commands that cannot be dry runs: the report needs a finished run, --lint is no run at all
# (it is checked on its own), and a command with <placeholders> is a template to fill in.
NOT_DRY_RUNS = {
    "--report": "the report is built from a finished run; a dry run cannot make it",
    "--lint": "a style check of the workflow, not a run; `snakemake --lint` is run on its own",
    "<": "a template: the <placeholders> are for the reader to fill in",
}
# Paths the documentation leaves to the reader, and what stands in for them here.
PLACEHOLDERS = {
    "my_config.yaml": "my_config.yaml",  # written into the copy: the shipped config
    "/data/s2": "s2",  # a folder of one raster with the configured bands, in the copy
    "/scratch/$USER/": "scratch/",  # Snakemake may create the SLURM log folder
    "my_mines.gpkg": "resources/maus_sample/maus_v1_idn_east_kalimantan.gpkg",
    "path: data/s2": "path: s2",
    "my_region.yaml": "config/examples/local.yaml",  # the shipped "your own region" example
}


DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def readme_commands() -> list[str]:
    """Each command line of the shell blocks of the README and the docs/ pages that starts with
    ``snakemake``, once (continuation lines joined, trailing comments and leading environment
    variables such as ``OMP_NUM_THREADS=1`` dropped)."""
    commands, fence, pending = [], None, ""
    for line in (line for path in DOCUMENTS for line in path.read_text().splitlines()):
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
        command = re.sub(r"^(\w+=\S+\s+)+", "", command)
        if command.startswith("snakemake"):
            commands.append(" ".join(command.split()))
    return list(dict.fromkeys(commands))


def _dry(command: str) -> str:
    """The command's arguments with -n first (a `--` may end the options later)."""
    for written, stand_in in PLACEHOLDERS.items():
        command = command.replace(written, stand_in)
    args = command.removeprefix("snakemake").strip()
    return args if re.search(r"(^|\s)-n(\s|$)", args) else f"-n {args}"


def _rasters(
    folder: Path,
    bands: list[str],
    origin: tuple[float, float] = (500000, 10000000),
    pixel: float = 1000,
    crs: str = "EPSG:32750",
):
    """One scene with the configured bands; by default 64 km of UTM 50S at 1 km pixels over the
    demo's mines (the checks read only its header)."""
    folder.mkdir(parents=True)
    profile = {"driver": "GTiff", "width": 64, "height": 64, "count": len(bands), "dtype": "uint16"}
    transform = from_origin(*origin, pixel, pixel)
    with rasterio.open(folder / "scene.tif", "w", crs=crs, transform=transform, **profile) as dst:
        dst.write(np.ones((len(bands), 64, 64), np.uint16))
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
    # A country outline given as the mining polygons; two mines near Carajas (Brazil).
    gpd.GeoDataFrame(geometry=[country_geometry("BRA")], crs=4326).to_file(workdir / "bra.gpkg")
    carajas = [shapely.box(-50.2, -6.1, -50.1, -6.0), shapely.box(-49.9, -6.3, -49.8, -6.2)]
    gpd.GeoDataFrame(geometry=carajas, crs=4326).to_file(workdir / "carajas.gpkg")
    # Imagery of UTM 18N (Virginia), far from the demo's mines.
    _rasters(workdir / "s2_far", ["B2", "B3", "B4"], origin=(400000, 4200000))
    masks = labelled_folder(workdir / "masks_255", count=3, size=32)
    for mask in (masks / "masks").glob("*.tif"):
        with rasterio.open(mask, "r+") as dst:
            dst.write(dst.read() * 255)


# The example configurations ("my polygons, my region, my imagery", one per backend) and the
# files they name: Amazon Mining Watch polygons of their region (Itaituba, Tapajós) with the
# year each was first mapped, and a local scene over it.
EXAMPLES = ["local", "stac", "gee"]
EXAMPLE_REGION = (-56.5, -6.5, -55.5, -5.5)
AMW = REPO.parent / "shared" / "data" / "polygons" / "amazon_mining_watch"


def _example_files(workdir: Path, bands: list[str]) -> None:
    files = sorted(AMW.glob("mining_20??00_simplified.geojson"))
    mines = pd.concat([gpd.read_file(f, bbox=EXAMPLE_REGION) for f in files], ignore_index=True)
    (workdir / "data").mkdir()
    gpd.GeoDataFrame(mines[["year", "geometry"]], crs=4326).to_file(
        workdir / "data" / "my_mines.gpkg"
    )
    # 128 km of UTM 21S at 2 km pixels over the region (only the header is read).
    _rasters(workdir / "data" / "my_s2", bands, (540000, 9400000), 2000, "EPSG:32721")


def _example(name: str) -> str:
    return f"-n --cores 1 --configfile config/examples/{name}.yaml"


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
    "a country outline as polygons": (
        "--config polygons='{path: bra.gpkg}'",
        "these look like a region outline, not mining polygons",
    ),
    "own polygons with the demo's regions": (
        "grid --config polygons='{path: carajas.gpkg}'",
        "pyramid.region [117.03, -0.55, 117.53, -0.05] (the demo region) meets none",
    ),
    "local imagery away from the polygons": (
        "--config imagery='{backend: local, bands: [B2, B3, B4], local: {path: s2_far}}'",
        "cover none of the 37 polygons of polygons.path",
    ),
    "a missing polygons.date_column": (
        "--config polygons='{date_column: first_year}'",
        "has no column 'first_year' (polygons.date_column)",
    ),
    "split fractions not summing to 1": (
        "--config models='{split: {fractions: [0.6, 0.2, 0.1]}}'",
        "models.split.fractions [0.6, 0.2, 0.1] sum to 0.9, not 1",
    ),
    "a minimum footprint area below one pixel": (
        "--config footprints='{min_area_m2: 50}'",
        "footprints.min_area_m2: 50 m² is below one pixel",
    ),
    "masks of 0 and 255": (
        "--config footprints='{labelled: {tiles: masks_255}}'",
        "the masks are 0/255: write them as 0/1",
    ),
    "a region across the antimeridian plans": (
        "pyramid --config pyramid='{region: [177.5, 64.5, -178.5, 65.5], exhaustive: false, "
        "detect: false}'",
        "region_cells",
    ),
    "growth on chip pairs asked for while off": (
        "growth_chip_pairs",
        "growth.chip_pairs.enabled: rule growth_chip_pairs was asked for but growth.chip_pairs "
        "is off -> add --configfile",
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
    if AMW.is_dir():
        _example_files(workdir, list(config["imagery"]["bands"]))
        commands += [_example(name) for name in EXAMPLES]
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
    "own polygons with the demo's regions",
    "a region across the antimeridian plans",
}


# Raised while the DAG is built, where Snakemake names the function's line after "Traceback:"
# (one frame, no Python stack).
STOPPED_BY_INPUT_FUNCTIONS = {"growth on chip pairs asked for while off"}


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
    if name not in STOPPED_BY_INPUT_FUNCTIONS:
        assert "Traceback" not in output and "Failed validating" not in output, output[-3000:]
    assert not (workdir / "results").exists()


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_config_plans_its_own_region_without_credentials(dry_runs, name):
    """config/examples/<backend>.yaml over real polygons: a dry run plans every stage on them,
    with no warning that a region misses its polygons, and needs no account (gee, stac)."""
    if not AMW.is_dir():
        pytest.skip(f"{AMW} is absent")
    code, output = dry_runs[1][_example(name)]
    assert code == 0, output[-3000:]
    assert "This was a dry-run" in output
    assert "minescan:" not in output, output[-3000:]  # no region that misses its polygons
    for rule in ("clean_polygons", "grid_cells", "region_cells"):
        assert rule in output
    assert ("growth_cells" in output) == (name != "local")
