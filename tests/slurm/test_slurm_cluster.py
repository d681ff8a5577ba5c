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
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from minescan.outputs import PROVENANCE_KEY

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "slurm" / "cluster.sh"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
# What a copy of the workflow needs; the minescan package itself is installed (editable).
WORKFLOW_PATHS = ["Snakefile", "workflow", "config", "resources", "envs"]
# Results that differ between any two runs, whatever ran them.
SKIP_RESULT_DIRS = {"logs", "benchmarks"}

# Wall-clock limits (s). Snakemake is stopped with SIGINT, so it cancels its SLURM jobs first.
LOCAL_TIMEOUT = 300
SLURM_TIMEOUT = 300
GPU_TIMEOUT = 60
# Faster polling than a real cluster needs: the jobs here take seconds, not hours.
SLURM_TEST_ARGS = [
    "--slurm-init-seconds-before-status-checks=2",
    "--seconds-between-status-checks=2",
    "--latency-wait=5",
]


def run_harness(command: str, state: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(HARNESS), command, *([str(state)] if state else [])],
        capture_output=True,
        text=True,
        timeout=900,  # the first `up` installs the Debian packages
    )


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory) -> dict[str, str]:
    """Start the cluster; yield the environment its clients and Snakemake need; stop it."""
    check = run_harness("check")
    if check.returncode != 0:
        pytest.skip(f"no SLURM test cluster on this machine: {check.stdout.strip()}")

    # A short path: munge's socket path must stay under the 108-byte limit of Unix sockets.
    state = tmp_path_factory.mktemp("slurm")
    started = time.monotonic()
    try:
        up = run_harness("up", state)
        if up.returncode == 3:
            pytest.skip(f"apt could not install the SLURM packages: {up.stderr.strip()}")
        assert up.returncode == 0, f"cluster.sh up failed:\n{up.stderr}\n{daemon_logs(state)}"
        print(f"SLURM cluster up in {time.monotonic() - started:.0f} s")

        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        env["SLURM_CONF"] = str(state / "etc" / "slurm.conf")
        # Jobs inherit this environment (sbatch --export=ALL): put this Python first on PATH,
        # so that `python -m snakemake` inside the job runs from the same virtual environment.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        yield env
    finally:
        down = run_harness("down", state)
        status = run_harness("status", state)
        assert down.returncode == 0, f"cluster.sh down failed:\n{down.stderr}"
        assert "running" not in status.stdout, f"daemons left running:\n{status.stdout}"


def daemon_logs(state: Path, lines: int = 20) -> str:
    """The tail of every daemon log, for failure messages."""
    tails = []
    for log in sorted((state / "log").glob("*")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        tails.append(f"--- {log.name}\n" + "\n".join(text))
    return "\n".join(tails)


def copy_workflow(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for name in WORKFLOW_PATHS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif source.exists():
            shutil.copy2(source, destination / name)
    # The config may point at the shared data folder beside the checkout: keep that relation.
    shared = REPO.parent / "shared"
    if shared.exists() and not (destination.parent / "shared").exists():
        (destination.parent / "shared").symlink_to(shared)
    return destination


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


def snakemake(
    workdir: Path, args: list[str], env: dict[str, str], timeout: int
) -> subprocess.CompletedProcess:
    """Run Snakemake in workdir, interrupted with SIGINT (then killed 30 s later) on timeout."""
    command = ["timeout", "-s", "INT", "-k", "30", str(timeout)]
    command += [sys.executable, "-m", "snakemake", *args]
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout + 60
    )
    result.stdout += result.stderr  # Snakemake logs to stderr; keep one stream to search
    return result


def submitted_rules(log: str) -> Counter:
    """Rules of the jobs Snakemake handed to the executor (local rules print `localrule x:`)."""
    return Counter(re.findall(r"^(?:rule|checkpoint) (\w+):$", log, flags=re.MULTILINE))


def sacct_jobs(run_id: str, env: dict[str, str]) -> list[dict[str, str]]:
    """Allocations (not steps) named after this Snakemake run, as accounting recorded them."""
    fields = ["JobID", "JobName", "State", "Comment"]
    out = subprocess.run(
        ["sacct", "--allusers", "--parsable2", "--noheader", "--starttime=now-1days"]
        + [f"--format={','.join(fields)}", f"--name={run_id}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]
    return [row for row in rows if "." not in row["JobID"]]


def rule_of(comment: str) -> str:
    """The rule name in the plugin's job comment: `rule_<name>` or `rule_<name>_wildcards_<..>`."""
    assert comment.startswith("rule_"), comment
    return comment.removeprefix("rule_").split("_wildcards_")[0]


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
