"""Shared fixtures: paths to the shipped sample and to the real data in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_POLYGONS = REPO / "resources" / "maus_sample" / "maus_v1_idn_east_kalimantan.gpkg"

# Keep caches out of the home folder of whoever runs the tests.
os.environ.setdefault("MINESCAN_CACHE_DIR", str(REPO / ".cache" / "minescan"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_polygons() -> Path:
    return SAMPLE_POLYGONS
