"""``pyramid.screen`` per level as dry runs of a copy of the workflow: a chip_cnn level plans;
a detector level plans with the detection stage's weights as its screen's input; a detector
level without a model and a chip_cnn level with the exhaustive scan stop before any job,
naming the key; the demo keeps the pixel screen."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from workflow_copy import REPO, copy_workflow

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("screens") / "minescan")


def dry_run(workdir, pyramid: dict, targets=("pyramid",)) -> subprocess.CompletedProcess:
    (workdir / "screens.yaml").write_text(yaml.safe_dump({"pyramid": pyramid}))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            *targets,
            "--configfile",
            "config/config.yaml",
            "screens.yaml",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_demo_keeps_the_pixel_screen():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert config["pyramid"]["screen"] == "pixel"
    assert not (config["pyramid"].get("spatial_prior") or {}).get("enabled", False)


def test_chip_cnn_levels_plan(workdir):
    done = dry_run(workdir, {"screen": {15: "chip_cnn", 16: "chip_cnn"}, "exhaustive": False})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pyramid_threshold" in done.stdout


def test_a_detector_level_screens_with_the_detection_stages_weights(workdir):
    # a shard's scores are a target of their own: the level's shards come from a checkpoint
    targets = [f"results/pyramid/screen/validation/z{z}/s0.parquet" for z in (15, 16)]
    done = dry_run(workdir, {"screen": {16: "detector"}, "exhaustive": False}, targets)
    assert done.returncode == 0, done.stderr[-2000:]
    jobs = {block.split(":", 1)[0]: block for block in done.stdout.split("\nrule ") if ":" in block}
    final = "results/detection/z16/train/final"
    detector = jobs["pyramid_screen_detector"]
    assert f"input: {final}/weights.pt, {final}/detector.json" in detector
    assert "wildcards: cellset=validation, zoom=16, shard=s0" in detector
    assert "gpu=1" in detector and "detection_train" in jobs
    assert "zoom=15" in jobs["pyramid_screen"] and "weights.pt" not in jobs["pyramid_screen"]


@pytest.mark.parametrize(
    ("pyramid", "message"),
    [
        ({"screen": {15: "detector"}, "exhaustive": False}, "pyramid.detector_model is null"),
        (
            {"screen": {16: "detector"}, "exhaustive": False, "detector_model": "none.pt"},
            "pyramid.detector_model (the detector of level 16)",
        ),
        ({"screen": "chip_cnn", "exhaustive": True}, "streams the pixel model only"),
        ({"screen": "cnn"}, "available: pixel, chip_cnn, detector"),
    ],
)
def test_screens_the_workflow_cannot_run_stop_with_the_key(workdir, pyramid, message):
    done = dry_run(workdir, pyramid)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
