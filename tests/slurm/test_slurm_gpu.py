"""The detection training rule on a GPU node of the test cluster (issue 9).

tests/slurm/cluster.sh starts the single-node cluster with `up --gpu`: the node offers one
stand-in GPU (gres.conf `File=/dev/null`), which SLURM schedules, allocates and accounts for like
a real one. On a tiny configuration (the demo's polygons near its largest mine, zoom 16 only,
three channels, one epoch of 64 px images), the training dataset of zoom 16 is made locally,
then the workflow's training rule for its fold 0 runs through `--profile
workflow/profiles/slurm`. From `sacct`: the training job, the run's only job, asked for one GPU
with the rule's `cpus_per_gpu`, got them, and completed; it trained on the CPU (torch finds no
CUDA behind the stand-in) and wrote its weights.

Needs root on Debian with the SLURM packages installed or installable with apt; skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from slurm_harness import PROFILE, SLURM_TEST_ARGS, copy_workflow, rule_of, sacct_jobs, snakemake

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

TIMEOUT = 240  # s, for each of the two Snakemake runs
DATASET = "results/detection/z16/dataset.json"
TARGET = "results/detection/z16/train/fold0/weights.pt"
# Both cores of a two-core node: a count other than the default 1 shows that it came through.
CPUS_PER_GPU = min(2, os.cpu_count() or 1)
SACCT_FIELDS = ("JobID", "State", "Comment", "ReqTRES", "AllocTRES", "AllocCPUS", "SubmitLine")


def tiny_config(workdir: Path) -> Path:
    """The demo config cut down to one detection training job of seconds."""
    demo = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    polygons = gpd.read_file(workdir / demo["polygons"]["path"])
    metric = polygons.to_crs(polygons.estimate_utm_crs())
    largest = metric.geometry.iloc[int(metric.area.argmax())]
    near = polygons[metric.distance(largest) < 2000]  # six polygons: six tiles at zoom 16
    near.to_file(workdir / "resources" / "gpu_test_polygons.gpkg")
    config = {
        "polygons": {"path": "resources/gpu_test_polygons.gpkg"},
        "grid": {"zoom_levels": [16], "cell_size_m": 1280},
        "pyramid": {"enabled": False},
        "footprints": {"enabled": False},
        "growth": {"enabled": False},
        "detection": {
            "zooms": [16],
            "channels": ["B4", "B3", "B2"],  # configured: no pixel models upstream
            "epochs": 1,
            "image_size": 64,
            "batch": 8,
            "cpus_per_gpu": CPUS_PER_GPU,
            "mem_mb": 3000,
            "train_runtime_min": 10,
        },
    }
    path = workdir / "gpu_test.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def tres(text: str) -> dict[str, str]:
    """`cpu=2,mem=3000M,gres/gpu=1` as a mapping."""
    return dict(item.split("=", 1) for item in text.split(",") if item)


def test_training_rule_gets_the_stand_in_gpu(slurm_gpu_env, tmp_path):
    workdir = copy_workflow(tmp_path / "minescan")
    config = ["--configfile", str(tiny_config(workdir))]
    # The upstream jobs (grid, tiles, dataset) run here: the other SLURM test sends such jobs
    # through the cluster already, and each SLURM job pays Snakemake's start-up.
    started = time.monotonic()
    run = snakemake(workdir, ["--cores", "2", *config, "--", DATASET], slurm_gpu_env, TIMEOUT)
    assert run.returncode == 0, f"local run failed:\n{run.stdout[-6000:]}"
    local_seconds = time.monotonic() - started
    started = time.monotonic()
    run = snakemake(
        workdir,
        ["--profile", str(PROFILE), *config, *SLURM_TEST_ARGS, "--", TARGET],
        slurm_gpu_env,
        TIMEOUT,
    )
    assert run.returncode == 0, f"SLURM run failed (rc {run.returncode}):\n{run.stdout[-6000:]}"
    print(
        f"upstream jobs locally {local_seconds:.0f} s, training under SLURM "
        f"{time.monotonic() - started:.0f} s"
    )

    run_id = re.search(r"SLURM run ID: (\S+)", run.stdout).group(1)
    jobs = sacct_jobs(run_id, slurm_gpu_env, SACCT_FIELDS)
    assert [rule_of(job["Comment"]) for job in jobs] == ["detection_train"], jobs
    train = jobs[0]
    print(f"detection_train: requested {train['ReqTRES']}, allocated {train['AllocTRES']}")
    assert train["State"] == "COMPLETED", train
    # Asked for one GPU and cpus_per_gpu CPUs with it, and got them.
    assert tres(train["ReqTRES"]).get("gres/gpu") == "1", train
    assert f"--cpus-per-gpu={CPUS_PER_GPU}" in train["SubmitLine"], train
    allocated = tres(train["AllocTRES"])
    assert allocated.get("gres/gpu") == "1" and allocated["cpu"] == str(CPUS_PER_GPU), train
    assert train["AllocCPUS"] == str(CPUS_PER_GPU), train

    # It trained, on the CPU: torch finds no CUDA behind the stand-in GPU.
    fold = workdir / "results" / "detection" / "z16" / "train" / "fold0"
    assert (fold / "weights.pt").stat().st_size > 0
    summary = json.loads((fold / "summary.json").read_text())
    assert summary["device"] == "cpu" and summary["epochs"] == 1
