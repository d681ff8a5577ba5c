"""Ctrl-C (SIGINT) or a kill (SIGTERM) stops a tiles job within seconds: queued cells never
start, the cells in flight finish, and every tile left in the store is complete and valid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from fixtures.imagery import cell_row, write_cells, write_polygons

from minescan.cells import cell_from_row
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.request import tile_request
from minescan.imagery.store import TileStore, tile_problem

REPO = Path(__file__).resolve().parents[3]
IMAGERY = tile_request(
    {"backend": "synthetic", "bands": list(DEFAULT_BANDS), "synthetic": {"seed": 3}},
    ["2019-01-01", "2020-01-01"],
)
CELLS = 60
FETCH_S = 0.3  # a slow fetch, as a remote backend's: the whole shard would take 9 s or more
# The job as the tiles rule runs it, with a backend that takes FETCH_S a cell, two at a time.
JOB = f"""
import sys, time
from minescan.imagery.backends.synthetic import SyntheticBackend
from minescan.imagery.tiles import make_shard_tiles

class Slow(SyntheticBackend):
    def fetch(self, cell, mine):
        time.sleep({FETCH_S})
        return super().fetch(cell, mine)

folder = sys.argv[1]
make_shard_tiles(cells=folder + "/cells.parquet", polygons=folder + "/polygons.parquet",
    shard="s0", tiles_dir=folder + "/tiles", status=folder + "/status.csv",
    imagery={IMAGERY!r}, store_dir=folder + "/store",
    backend=Slow(bands={tuple(DEFAULT_BANDS)!r}, seed=3, concurrency=2))
"""


def _rows() -> list[dict]:
    """A row of 640 m cells in UTM 50S, over and beside the demo's mines."""
    return [cell_row(32750, 500000 + 640 * k, 9970000, 640) for k in range(CELLS)]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_shard_leaving_only_complete_tiles(tmp_path, signum):
    rows = _rows()
    write_cells(tmp_path, rows)
    write_polygons(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    job = subprocess.Popen(
        [sys.executable, "-c", JOB, str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    store = TileStore(tmp_path / "store", IMAGERY, 10.0)
    deadline = time.monotonic() + 60
    while len(list(store.folder.glob("*.json"))) < 2 and time.monotonic() < deadline:
        assert job.poll() is None, job.stdout.read()
        time.sleep(0.05)
    job.send_signal(signum)
    sent = time.monotonic()
    output = job.communicate(timeout=30)[0]
    stopped_s = time.monotonic() - sent
    assert job.returncode != 0, output
    assert stopped_s < 3, f"{stopped_s:.1f} s after the signal"
    assert "stopped after" in output, output
    kept = sorted(store.folder.glob("*.json"))
    assert 2 <= len(kept) < CELLS // 2, len(kept)  # the queue was cancelled
    cells = {row["cell_id"]: cell_from_row(row, 10.0) for row in rows}
    bands = tuple(IMAGERY["bands"])
    for row_file in kept:
        cell = cells[row_file.stem]
        assert store.cached_row(cell, bands) is not None
        assert tile_problem(store.tile(cell.cell_id), cell, bands, IMAGERY) is None
    assert not list(store.folder.glob(".*tmp*")), "a half-written tile was left"
    assert not (tmp_path / "status.csv").exists()
    if signum != signal.SIGINT:
        return
    # A rerun fetches only the rest and gives every cell.
    rerun = subprocess.run(
        [sys.executable, "-c", JOB, str(tmp_path)], env=env, capture_output=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert len(pd.read_csv(tmp_path / "status.csv")) == CELLS
