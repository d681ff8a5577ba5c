"""The tile store: a rerun fetches only what is missing or invalid; failures are per cell."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.imagery import kalimantan_rows, write_cells, write_polygons

from minescan.cells import cell_from_row
from minescan.imagery.backends.synthetic import SyntheticBackend
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.errors import ShardFailed
from minescan.imagery.request import tile_request
from minescan.imagery.store import TileStore, request_key, tile_problem
from minescan.imagery.tiles import make_shard_tiles

IMAGERY = tile_request(
    {"backend": "synthetic", "bands": list(DEFAULT_BANDS), "synthetic": {"seed": 3}},
    ["2019-01-01", "2020-01-01"],
)


class CountingBackend(SyntheticBackend):
    """The synthetic backend, counting fetches and failing for the cells it is told to."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        super().__init__(bands=DEFAULT_BANDS, seed=3)
        self.fetched: list[str] = []
        self.failing = failing
        self._lock = threading.Lock()

    def fetch(self, cell, mine):
        with self._lock:
            self.fetched.append(cell.cell_id)
        if cell.cell_id in self.failing:
            raise OSError(f"HTTP 500 from the asset server for {cell.cell_id}")
        return super().fetch(cell, mine)


@pytest.fixture
def shard(tmp_path):
    rows = kalimantan_rows()
    return tmp_path, rows, write_cells(tmp_path, rows), write_polygons(tmp_path)


def run(tmp_path, cells, polygons, backend, out="tiles", store="store", **options):
    return make_shard_tiles(
        cells=cells,
        polygons=polygons,
        shard="s0",
        tiles_dir=tmp_path / out,
        status=tmp_path / f"{out}.status.csv",
        imagery=IMAGERY,
        backend=backend,
        store_dir=tmp_path / store,
        **options,
    )


def read_all(folder):
    out = {}
    for path in sorted(folder.glob("*.tif")):
        with rasterio.open(path) as src:
            out[path.name] = src.read()
    return out


@pytest.mark.slow
def test_a_rerun_fetches_nothing_and_gives_the_same_tiles(shard):
    tmp_path, rows, cells, polygons = shard
    first = CountingBackend()
    status = run(tmp_path, cells, polygons, first)
    assert len(first.fetched) == len(rows) and (status["status"] == "ok").all()
    first_status = (tmp_path / "tiles.status.csv").read_bytes()
    shutil.rmtree(tmp_path / "tiles")  # as Snakemake does before it reruns a job
    again = CountingBackend()
    status_again = run(tmp_path, cells, polygons, again)
    assert again.fetched == []
    pd.testing.assert_frame_equal(status, status_again)
    assert (tmp_path / "tiles.status.csv").read_bytes() == first_status
    fresh = CountingBackend()
    run(tmp_path, cells, polygons, fresh, out="other", store="other_store")
    assert all(
        np.array_equal(a, b)
        for a, b in zip(
            read_all(tmp_path / "tiles").values(),
            read_all(tmp_path / "other").values(),
            strict=True,
        )
    )


@pytest.mark.slow
def test_a_missing_or_damaged_stored_tile_is_fetched_again(shard):
    tmp_path, rows, cells, polygons = shard
    run(tmp_path, cells, polygons, CountingBackend())
    store = TileStore(tmp_path / "store", IMAGERY, 10.0)
    store.tile(rows[0]["cell_id"]).unlink()  # killed between two cells
    damaged = store.tile(rows[1]["cell_id"])
    damaged.write_bytes(damaged.read_bytes()[:5000])  # a truncated write outside the store
    again = CountingBackend()
    status = run(tmp_path, cells, polygons, again)
    assert sorted(again.fetched) == sorted([rows[0]["cell_id"], rows[1]["cell_id"]])
    assert (status["status"] == "ok").all()


def test_a_stored_tile_of_another_request_or_grid_is_not_used(shard):
    tmp_path, rows, cells, polygons = shard
    run(tmp_path, cells, polygons, CountingBackend())
    store = TileStore(tmp_path / "store", IMAGERY, 10.0)
    cell = cell_from_row(rows[0])
    path = store.tile(cell.cell_id)
    assert tile_problem(path, cell, DEFAULT_BANDS, IMAGERY) is None
    other = {**IMAGERY, "synthetic": {"seed": 4}}
    assert "another imagery request" in tile_problem(path, cell, DEFAULT_BANDS, other)
    assert "bands" in tile_problem(path, cell, ("B2",), IMAGERY)
    coarse = cell_from_row(rows[0], pixel_size=20)
    assert "size" in tile_problem(path, coarse, DEFAULT_BANDS, IMAGERY)
    assert request_key(IMAGERY, 10) != request_key(IMAGERY, 20)
    assert request_key(IMAGERY, 10) != request_key(other, 10)


@pytest.mark.slow
def test_failed_cells_are_recorded_and_fail_the_shard_only_above_the_share(shard):
    tmp_path, rows, cells, polygons = shard
    bad = rows[1]["cell_id"]
    status = run(
        tmp_path,
        cells,
        polygons,
        CountingBackend(failing=(bad,)),
        fetch={"max_failed_fraction": 0.5},
    )
    failed = status.set_index("cell_id").loc[bad]
    assert failed["status"] == "failed" and "HTTP 500" in failed["reason"]
    assert (status.drop(columns="reason")["status"] == "ok").sum() == len(rows) - 1
    assert not (tmp_path / "tiles" / f"{bad}.tif").exists()
    # Stricter: the shard fails, names the cell, writes no status, keeps the good tiles.
    (tmp_path / "tiles.status.csv").unlink()
    retry = CountingBackend(failing=(bad,))
    with pytest.raises(ShardFailed, match=rf"1 of {len(rows)} cells failed.*{bad}: OSError"):
        run(tmp_path, cells, polygons, retry, fetch={"max_failed_fraction": 0.0})
    assert retry.fetched == [bad]  # only the failed cell is tried again
    assert not (tmp_path / "tiles.status.csv").exists()
