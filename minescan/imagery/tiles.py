"""All tiles of one shard: fetch each cell, add the ``_mine`` band, write COGs and a status table.

Every cell gets a status row. A cell without usable imagery (not covered, cloudy, no valid
pixels) is recorded with the reason; so is a cell whose fetch failed (a corrupt asset, a
missing band, a service still failing after its retries), and the rest of the shard goes on.
The shard fails only when more than ``max_failed_fraction`` of its cells failed, with a message
listing them. Tiles go through the tile store (``store.py``): a rerun after a crash, a kill or
a failed shard fetches only the cells the store lacks, with the same result.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from minescan.cells import (
    Cell,
    PolygonsByCrs,
    cell_from_row,
    mine_mask,
    read_cells,
    read_polygons,
)
from minescan.imagery.backends import make_backend
from minescan.imagery.backends.base import Backend, check_cost, plan, prepare
from minescan.imagery.errors import CellSkipped, ShardFailed
from minescan.imagery.request import MAPPED_BEFORE, backend_options
from minescan.imagery.store import TileStore
from minescan.imagery.tile import write_tile
from minescan.outputs import write_csv
from minescan.polygons.dated import mapped_before
from minescan.provenance import provenance

log = logging.getLogger(__name__)
STATUS_COLUMNS = (
    "cell_id",
    "name",
    "label",
    "status",
    "reason",
    "tile",
    "valid_fraction",
    "mine_fraction",
)
FAILED = "failed"


def make_tile(
    cell: Cell,
    backend: Backend,
    polygons: PolygonsByCrs,
    store: TileStore,
    record: Mapping[str, Any],
    compress: str = "zstd",
) -> dict[str, Any]:
    """Fetch one cell into the store; the cell's status row (kept in the store unless the
    fetch failed, so that a rerun tries a failed cell again)."""
    mine = mine_mask(cell, polygons.near(cell.epsg, cell.bounds))
    row = {
        "cell_id": cell.cell_id,
        "name": cell.name,
        "label": (cell.metadata or {}).get("label"),
        "mine_fraction": float(mine.mean()),
        "tile": None,
        "valid_fraction": None,
    }
    try:
        image = backend.fetch(cell, mine)
        write_tile(store.tile(cell.cell_id), cell, image, mine, record, compress=compress)
    except CellSkipped as skipped:
        log.warning("cell %s (%s): %s: %s", cell.cell_id, cell.name, skipped.status, skipped.reason)
        row.update(status=skipped.status, reason=skipped.reason)
        store.keep(row)
        return row
    except Exception as error:  # recorded per cell; too many of them fail the shard
        reason = f"{type(error).__name__}: {error}"
        log.error("cell %s (%s) failed: %s", cell.cell_id, cell.name, reason)
        return {**row, "status": FAILED, "reason": reason}
    row.update(
        status="ok",
        reason="",
        tile=f"{cell.cell_id}.tif",
        valid_fraction=float(image.valid.mean()),
    )
    store.keep(row)
    return row


def make_shard_tiles(
    *,
    cells: str | Path,
    polygons: str | Path,
    shard: str,
    tiles_dir: str | Path,
    status: str | Path,
    imagery: Mapping[str, Any],
    fetch: Mapping[str, Any] | None = None,
    pixel_size: float = 10.0,
    threads: int = 1,
    store_dir: str | Path | None = None,
    backend: Backend | None = None,
) -> pd.DataFrame:
    """Write ``tiles_dir/<cell_id>.tif`` for every cell of ``shard`` and the status table.

    ``imagery`` is what the pixels depend on (``request.tile_request``); ``fetch`` holds the
    retries and concurrency of a remote backend and the shard's ``max_failed_fraction``, which
    change no pixel. ``store_dir`` (default: ``.tile_store`` beside ``tiles_dir``) keeps the
    tiles across reruns.
    """
    fetch = dict(fetch or {})
    max_failed = float(fetch.pop("max_failed_fraction", 0.0))
    table = read_cells(cells, shard)
    shard_cells = [cell_from_row(row, pixel_size) for row in table.to_dict("records")]
    out_dir = Path(tiles_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    store = TileStore(store_dir or out_dir.parent / ".tile_store", imagery, pixel_size)
    bands = tuple(imagery["bands"])
    stored = {cell.cell_id: store.cached_row(cell, bands) for cell in shard_cells}
    missing = [cell for cell in shard_cells if stored[cell.cell_id] is None]
    log.info(
        "shard %s: %d cells, %d from the tile store %s, %d to fetch",
        shard,
        len(shard_cells),
        len(shard_cells) - len(missing),
        store.folder,
        len(missing),
    )
    fetched = _fetch(missing, imagery, fetch, polygons, store, pixel_size, threads, backend, shard)
    rows = [stored[c.cell_id] or fetched[c.cell_id] for c in shard_cells]
    for row in rows:
        if row["status"] == "ok":
            store.link(row["cell_id"], out_dir)
    frame = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
    log.info("shard %s: %s", shard, frame["status"].value_counts().to_dict())
    failed = frame[frame["status"] == FAILED]
    if len(failed) > max_failed * len(frame):
        listing = "; ".join(f"{r.cell_id}: {r.reason}" for r in failed.itertuples())
        raise ShardFailed(
            f"shard {shard}: {len(failed)} of {len(frame)} cells failed, more than "
            f"imagery.max_failed_fraction ({max_failed:g}): {listing}. The tiles already "
            "fetched are kept; rerun to fetch only the rest"
        )
    write_csv(frame, status)
    return frame


def polygon_index(
    polygons: str | Path, cells: list[Cell], imagery: Mapping[str, Any] | None = None
) -> PolygonsByCrs:
    """The polygons by UTM zone, reprojected for every zone of ``cells`` before worker threads
    share the index; only those first mapped before the request's ``MAPPED_BEFORE`` date when
    it has one (dated polygons: the mines of the request's date window)."""
    frame = read_polygons(polygons)
    end = (imagery or {}).get(MAPPED_BEFORE)
    if end is not None:
        frame = mapped_before(frame, end)
        log.info("%d polygons first mapped before %s", len(frame), end)
    index = PolygonsByCrs(frame)
    for epsg in sorted({c.epsg for c in cells}):
        index.in_crs(epsg)
    return index


def _fetch(
    cells: list[Cell],
    imagery: Mapping[str, Any],
    fetch: Mapping[str, Any],
    polygons: str | Path,
    store: TileStore,
    pixel_size: float,
    threads: int,
    backend: Backend | None,
    shard: str,
) -> dict[str, dict[str, Any]]:
    """Fetch ``cells`` into the store, ``backend.concurrency`` at a time; rows by cell id."""
    if not cells:
        return {}
    backend = backend or make_backend(backend_options(imagery, fetch), threads)
    check_cost(backend, cells)
    prepare(backend)
    plan(backend, cells)
    index = polygon_index(polygons, cells, imagery)
    # The tile is a function of the cell and the request: no shard in its provenance.
    record = provenance({"imagery": dict(imagery), "pixel_size_m": pixel_size})
    record["backend"] = backend.describe()
    compress = str(imagery.get("compress") or (imagery.get("cog") or {}).get("compress", "zstd"))
    log.info("backend %s, %d cells at a time", backend.name, backend.concurrency)
    rows = {}
    pool = ThreadPoolExecutor(max_workers=backend.concurrency)
    try:
        with _terminate_as_interrupt():
            futures = [
                pool.submit(make_tile, cell, backend, index, store, record, compress)
                for cell in cells
            ]
            for done, future in enumerate(futures, start=1):
                row = future.result()
                rows[row["cell_id"]] = row
                if done % 10 == 0 or done == len(futures):
                    log.info("shard %s: %d/%d cells fetched", shard, done, len(futures))
    except BaseException:
        # Ctrl-C, a kill or a crash: queued cells never start; the cells in flight finish their
        # tile (written atomically), so the store holds only complete tiles for the rerun.
        pool.shutdown(wait=False, cancel_futures=True)
        log.warning("shard %s: stopped after %d of %d cells", shard, len(rows), len(cells))
        raise
    pool.shutdown()
    return rows


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (scancel, a cluster's time limit, Snakemake stopping a job) stops the shard as
    Ctrl-C does, instead of ending the process without a word."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def summarise_status(status_files: list[str | Path], out: str | Path) -> pd.DataFrame:
    """One zoom level's status tables together, with the shard each row came from."""
    frames = [
        pd.read_csv(path).assign(shard=Path(path).name.split(".")[0]) for path in status_files
    ]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=STATUS_COLUMNS)
    write_csv(frame, out)
    return frame
