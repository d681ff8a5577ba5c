"""End to end: the embedded configuration through Snakemake, in a temporary copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COPIED = ["Snakefile", "workflow", "config", "resources", "envs"]

pytestmark = pytest.mark.e2e


def _copy_workflow(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    # The real data folder sits beside the checkout; keep that relation in the copy.
    shared = REPO.parent / "shared"
    if shared.exists() and not (target.parent / "shared").exists():
        (target.parent / "shared").symlink_to(shared)
    return target


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(workdir)]
    return subprocess.run(
        [*command, *args], cwd=workdir, capture_output=True, text=True, timeout=1500
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    workdir = _copy_workflow(tmp_path_factory.mktemp("demo") / "minescan")
    run = _snakemake(workdir)
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir


def test_demo_produces_every_grid_product(demo):
    config = yaml.safe_load((demo / "config" / "config.yaml").read_text())
    for zoom in config["grid"]["zoom_levels"]:
        folder = demo / "results" / "grid" / f"z{zoom}"
        cells = gpd.read_parquet(folder / "cells.parquet")
        assert set(cells["label"]) == {"positive", "negative"}
        assert (cells["zoom"] == zoom).all()
        gpkg = gpd.read_file(folder / "cells.gpkg")
        assert len(gpkg) == len(cells) and gpkg.crs.to_epsg() == 4326
        locations = pd.read_csv(folder / "locations.csv")
        assert list(locations["name"]) == list(cells["name"])
        shards = pd.read_csv(folder / "shards.csv")
        assert shards["n_cells"].sum() == len(cells)
        assert (folder / "map.png").stat().st_size > 10_000


def test_rerun_is_a_no_op_and_one_zoom_can_be_rebuilt(demo):
    dry = _snakemake(demo, "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr
    target = "results/grid/z15/cells.parquet"
    again = _snakemake(demo, target, "--forcerun", "grid_cells")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "grid_cells" in again.stderr
    assert "zoom=14" not in again.stderr  # only zoom 15 was rebuilt


def test_bad_polygons_fail_clearly_and_write_nothing(tmp_path):
    workdir = _copy_workflow(tmp_path / "minescan")
    bad = workdir / "resources" / "points.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
        ' "geometry": {"type": "Point", "coordinates": [117.0, -0.5]}}]}'
    )
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    config["polygons"]["path"] = "resources/points.geojson"
    (workdir / "config" / "bad.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "grid", "--configfile", "config/bad.yaml")
    assert run.returncode != 0
    log = (workdir / "results" / "logs" / "clean_polygons.log").read_text()
    assert "resources/points.geojson: row 0 is Point, not polygons" in log
    assert not (workdir / "results" / "polygons" / "polygons.parquet").exists()
    assert not (workdir / "results" / "grid").exists()


def test_config_outside_schema_stops_before_any_job(tmp_path):
    workdir = _copy_workflow(tmp_path / "minescan")
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    config["grid"]["cell_size_m"] = 5500  # the seed's size: not a multiple of 10 m at zoom 16
    (workdir / "config" / "seed_sizes.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "--configfile", "config/seed_sizes.yaml")
    assert run.returncode != 0
    assert "not a multiple of grid.pixel_size_m" in run.stderr
    assert not (workdir / "results").exists()
