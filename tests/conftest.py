"""Shared fixtures: paths to the shipped sample and to the real data in ../shared/data.

Thread pools are pinned before any numerical library loads, as Snakemake pins them for a
job: the suite runs the same on a laptop and on a 2-core CI machine, and tests that call
model code directly do not take every core.
"""

from __future__ import annotations

import os
from pathlib import Path

# One thread per pytest-xdist worker (the suite runs a worker per core), two otherwise.
TEST_THREADS = "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2"
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, TEST_THREADS)

import pytest  # noqa: E402  (after the thread pins)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_POLYGONS = REPO / "resources" / "maus_sample" / "maus_v1_idn_east_kalimantan.gpkg"

# Keep caches out of the home folder of whoever runs the tests.
os.environ.setdefault("MINESCAN_CACHE_DIR", str(REPO / ".cache" / "minescan"))


def pytest_addoption(parser):
    parser.addoption(
        "--stage-runs",
        action="store_true",
        help="run every per-stage test config for real (tests/e2e/test_stage_configs.py)",
    )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_polygons() -> Path:
    return SAMPLE_POLYGONS


@pytest.fixture(scope="session")
def tiny_detector(tmp_path_factory) -> Path:
    """One tiny trained detector (two epochs of 20 tiles of 128 px) for every test that needs
    a trained model rather than a good one; its labelled folder is ``<root>/tailings``."""
    from fixtures.detection import train_tiny_detector

    return train_tiny_detector(tmp_path_factory.mktemp("tiny_detector"))


# Tests that share one expensive or exclusive thing run on one pytest-xdist worker: the
# session's demo run is made once, and the SLURM clusters (one set of ports and one
# /etc/slurm/slurm.conf) never start twice at once. The groups are handed out first, longest
# first, and the single tests after them, so the other worker never waits at the end.
SHARED_BY_GROUP = {
    "demo": "demo",
    "slurm_env": "slurm",
    "slurm_gpu_env": "slurm",
    "dry_runs": "dry_runs",  # tests/e2e/test_input_dry_runs.py: every command, one process
}
GROUP_ORDER = ["demo", "slurm", "dry_runs", "stages"]


def _group(item) -> str | None:
    marker = item.get_closest_marker("xdist_group")
    return str(marker.args[0]) if marker and marker.args else None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        groups = {SHARED_BY_GROUP[name] for name in item.fixturenames if name in SHARED_BY_GROUP}
        if groups and not _group(item):
            item.add_marker(pytest.mark.xdist_group(sorted(groups)[0]))
    rank = {name: index for index, name in enumerate(GROUP_ORDER)}
    items.sort(key=lambda item: rank.get(_group(item), len(rank)))
