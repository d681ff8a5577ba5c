"""minescan on a real SLURM cluster (issue 5).

tests/slurm/cluster.sh starts a single-node SLURM cluster with accounting (munged, a private
MariaDB, slurmdbd, slurmctld, slurmd) in a temporary state dir. The embedded workflow then runs
twice, in two copies of the project: locally (`--cores 2`) and through
`--profile workflow/profiles/slurm`. Both ask for the grid of every zoom level (the grid
checkpoint runs under SLURM) and the tiles of the smallest shard (a job the checkpoint created);
the whole workflow would take too long, as every SLURM job pays Snakemake's start-up. The tests
check from `sacct` that every non-local job ran as a COMPLETED SLURM job, that both runs
produced the same results, and that a GPU request on a node without GPUs fails at once with
SLURM's own message. The cluster is stopped afterwards, whatever
happened.

Needs root on Debian with the SLURM packages installed or installable with apt; skipped otherwise.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from slurm_harness import (
    PROFILE,
    REPO,
    SLURM_TEST_ARGS,
    copy_workflow,
    rule_of,
    sacct_jobs,
    snakemake,
)

from minescan.outputs import PROVENANCE_KEY

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# Results that differ between any two runs, whatever ran them.
SKIP_RESULT_DIRS = {"logs", "benchmarks"}

# Wall-clock limits (s). Snakemake is stopped with SIGINT, so it cancels its SLURM jobs first.
LOCAL_TIMEOUT = 300
SLURM_TIMEOUT = 300
GPU_TIMEOUT = 60


def grid_targets() -> list[str]:
    """Every grid product of every configured zoom level."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    names = ["cells.parquet", "cells.gpkg", "locations.csv", "map.png"]
    return [f"results/grid/z{z}/{name}" for z in config["grid"]["zoom_levels"] for name in names]


def smallest_shard_tiles(workdir: Path) -> str:
    """The tile status of the shard with the fewest cells, over all zoom levels."""
    shards = []
    for table in (workdir / "results" / "grid").glob("z*/shards.csv"):
        frame = pd.read_csv(table, dtype={"shard": str})
        zoom = table.parent.name
        shards += [(n, zoom, shard) for n, shard in zip(frame.n_cells, frame.shard, strict=True)]
    assert shards, "the grid stage wrote no shards"
    _, zoom, shard = min(shards)
    epoch = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["imagery"]["epoch"]
    return f"results/tiles/training/{epoch}/{zoom}/{shard}.status.csv"


def submitted_rules(log: str) -> Counter:
    """Rules of the jobs Snakemake handed to the executor (local rules print `localrule x:`)."""
    return Counter(re.findall(r"^(?:rule|checkpoint) (\w+):$", log, flags=re.MULTILINE))


def result_files(workdir: Path) -> set[Path]:
    results = workdir / "results"
    return {
        path.relative_to(results)
        for path in results.rglob("*")
        if path.is_file() and path.relative_to(results).parts[0] not in SKIP_RESULT_DIRS
    }


def read_table(path: Path) -> pd.DataFrame:
    """A table's content, geometry as WKB, so that pandas can compare it."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    import geopandas

    return geopandas.read_file(path).to_wkb()


def assert_same_file(local: Path, slurm: Path) -> None:
    """Same content, not same bytes: provenance (times, hosts) may differ between runs."""
    if local.suffix in {".parquet", ".csv", ".gpkg"}:
        pd.testing.assert_frame_equal(read_table(local), read_table(slurm))
    elif local.suffix == ".json":
        drop = {PROVENANCE_KEY, "created", "created_at", "host", "hostname"}
        parsed = [json.loads(path.read_text()) for path in (local, slurm)]
        if all(isinstance(item, dict) for item in parsed):
            parsed = [{k: v for k, v in item.items() if k not in drop} for item in parsed]
        assert parsed[0] == parsed[1]
    elif local.suffix == ".tif":
        rasterio = pytest.importorskip("rasterio")
        with rasterio.open(local) as a, rasterio.open(slurm) as b:
            assert (a.crs, a.transform, a.count) == (b.crs, b.transform, b.count)
            assert (a.read() == b.read()).all()
    # Other files (PNG maps, reports) only have to exist in both runs.


def test_workflow_runs_under_slurm_with_accounting(slurm_env, tmp_path):
    local = copy_workflow(tmp_path / "local" / "minescan")
    started = time.monotonic()
    run = snakemake(local, ["--cores", "2", *grid_targets()], slurm_env, LOCAL_TIMEOUT)
    assert run.returncode == 0, f"local run failed:\n{run.stdout[-6000:]}"
    # Which shard exists is decided by the data: ask the local grid.
    targets = [*grid_targets(), smallest_shard_tiles(local)]
    run = snakemake(local, ["--cores", "2", *targets], slurm_env, LOCAL_TIMEOUT)
    assert run.returncode == 0, f"local run failed:\n{run.stdout[-6000:]}"
    local_seconds = time.monotonic() - started

    cluster = copy_workflow(tmp_path / "slurm" / "minescan")
    started = time.monotonic()
    run = snakemake(
        cluster,
        ["--profile", str(PROFILE), "--jobs", "4", *SLURM_TEST_ARGS, *targets],
        slurm_env,
        SLURM_TIMEOUT,
    )
    assert run.returncode == 0, f"SLURM run failed (rc {run.returncode}):\n{run.stdout[-6000:]}"
    print(f"local run {local_seconds:.0f} s, SLURM run {time.monotonic() - started:.0f} s")

    # Every job Snakemake submitted is in the accounting database, COMPLETED, under its rule.
    run_id = re.search(r"SLURM run ID: (\S+)", run.stdout).group(1)
    expected = submitted_rules(run.stdout)
    assert expected, f"no job went to SLURM:\n{run.stdout[-3000:]}"
    jobs = sacct_jobs(run_id, slurm_env)
    assert {job["State"] for job in jobs} == {"COMPLETED"}, jobs
    assert Counter(rule_of(job["Comment"]) for job in jobs) == expected

    # ... and produced what the local run produced.
    files = result_files(local)
    assert files, "the local run wrote no results"
    assert result_files(cluster) == files
    for name in sorted(files):
        assert_same_file(local / "results" / name, cluster / "results" / name)


def test_gpu_request_without_gpu_fails_with_slurm_message(slurm_env, tmp_path):
    shutil.copy2(REPO / "tests" / "slurm" / "gpu_request" / "Snakefile", tmp_path / "Snakefile")
    started = time.monotonic()
    run = snakemake(tmp_path, ["--profile", str(PROFILE), *SLURM_TEST_ARGS], slurm_env, GPU_TIMEOUT)
    elapsed = time.monotonic() - started

    assert run.returncode == 1, f"expected a failed run (rc 1), got {run.returncode}"
    assert "Requested node configuration is not available" in run.stdout, run.stdout[-3000:]
    assert elapsed < GPU_TIMEOUT / 2, f"took {elapsed:.0f} s: the failure should be immediate"
    assert not (tmp_path / "gpu.txt").exists()
