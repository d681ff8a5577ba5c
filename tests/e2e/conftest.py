"""The session's demo run: the embedded configuration run once, end to end, in a temporary
copy of the workflow, and shared by every end-to-end test module (the stage checks of
test_workflow.py, the browser test of the map and the report)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workflow_copy import copy_workflow, run_snakemake


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    worker_id = os.environ.get("PYTEST_XDIST_WORKER")
    if worker_id:  # under pytest-xdist: the tests of the demo share one worker
        claim = tmp_path_factory.getbasetemp().parent / "demo.worker"
        try:
            with claim.open("x") as file:
                file.write(worker_id)
        except FileExistsError:
            pytest.fail(
                f"the demo run started on {worker_id} after {claim.read_text()}: pytest-xdist "
                "did not group the tests of the demo (--dist loadgroup; see pyproject.toml)"
            )
    workdir = copy_workflow(tmp_path_factory.mktemp("demo") / "minescan")
    run = run_snakemake(workdir)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Results are in results/" in run.stdout + run.stderr
    return workdir
