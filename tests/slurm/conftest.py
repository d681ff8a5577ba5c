"""The test clusters: one per test module, started once and always stopped (two clusters
cannot run at once: they share ports and /etc/slurm/slurm.conf)."""

from __future__ import annotations

import pytest
from slurm_harness import cluster_env


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    """A cluster whose node has no GPU."""
    # A short path: munge's socket path must stay under the 108-byte limit of Unix sockets.
    yield from cluster_env(tmp_path_factory.mktemp("slurm"))


@pytest.fixture(scope="module")
def slurm_gpu_env(tmp_path_factory):
    """A cluster whose node offers one stand-in GPU (gres.conf ``File=/dev/null``)."""
    yield from cluster_env(tmp_path_factory.mktemp("slurm"), ["--gpu"])
