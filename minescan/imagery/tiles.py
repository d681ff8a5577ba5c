"""All tiles of one shard: fetch each cell, add the ``_mine`` band, write COGs and a status table.

A cell without usable imagery (not covered, cloudy, no valid pixels) gets a status row with the
reason and the rest of the shard goes on; bad input or an unreachable service stops the shard
with an error naming the cell and file (tiles are written atomically, none is left half-written).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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
from minescan.imagery.backends.base import Backend
from minescan.imagery.errors import CellSkipped
from minescan.imagery.request import backend_options
from minescan.imagery.tile import write_tile
from minescan.outputs import write_csv
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


def make_tile(
    cell: Cell,
    backend: Backend,
    polygons: PolygonsByCrs,
    out_dir: Path,
    record: Mapping[str, Any],
    compress: str = "deflate",
) -> dict[str, Any]:
    """Fetch and write one cell's tile; the cell's status row."""
    mine = mine_mask(cell, polygons.near(cell.epsg, cell.bounds))
    row = {
        "cell_id": cell.cell_id,
        "name": cell.name,
        "label": (cell.metadata or {}).get("label"),
        "mine_fraction": float(mine.mean()),
    }
    try:
        image = backend.fetch(cell, mine)
    except CellSkipped as skipped:
        log.warning("cell %s (%s): %s: %s", cell.cell_id, cell.name, skipped.status, skipped.reason)
        return {**row, "status": skipped.status, "reason": skipped.reason, "tile": None}
    except Exception as error:
        error.add_note(f"while making the tile of cell {cell.cell_id} ({cell.name})")
        raise
    path = out_dir / f"{cell.cell_id}.tif"
    write_tile(path, cell, image, mine, record, compress=compress)
    return {
        **row,
        "status": "ok",
        "reason": "",
        "tile": path.name,
        "valid_fraction": float(image.valid.mean()),
    }


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
    backend: Backend | None = None,
) -> pd.DataFrame:
    """Write ``tiles_dir/<cell_id>.tif`` for every cell of ``shard`` and the status table.

    ``imagery`` is what the pixels depend on (``request.tile_request``); ``fetch`` holds the
    retries and concurrency of a remote backend, which change no pixel.
    """
    table = read_cells(cells, shard)
    backend = backend or make_backend(backend_options(imagery, fetch or {}), threads)
    index = PolygonsByCrs(read_polygons(polygons))
    shard_cells = [cell_from_row(row, pixel_size) for row in table.to_dict("records")]
    for epsg in sorted({c.epsg for c in shard_cells}):
        index.in_crs(epsg)  # reproject before the worker threads share the index
    out_dir = Path(tiles_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = provenance({"imagery": dict(imagery), "shard": shard, "pixel_size_m": pixel_size})
    record["backend"] = backend.describe()
    log.info(
        "shard %s: %d cells, backend %s (%d at a time)",
        shard,
        len(shard_cells),
        backend.name,
        backend.concurrency,
    )
    compress = str(imagery.get("compress") or (imagery.get("cog") or {}).get("compress", "deflate"))
    rows = []
    with ThreadPoolExecutor(max_workers=backend.concurrency) as pool:
        futures = [
            pool.submit(make_tile, cell, backend, index, out_dir, record, compress)
            for cell in shard_cells
        ]
        try:
            for done, future in enumerate(futures, start=1):
                rows.append(future.result())
                if done % 10 == 0 or done == len(futures):
                    log.info("shard %s: %d/%d cells done", shard, done, len(futures))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # stop at the first bad cell
            raise
    frame = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
    write_csv(frame, status)
    counts = frame["status"].value_counts().to_dict()
    log.info("shard %s: %s", shard, counts)
    return frame


def summarise_status(status_files: list[str | Path], out: str | Path) -> pd.DataFrame:
    """One zoom level's status tables together, with the shard each row came from."""
    frames = [
        pd.read_csv(path).assign(shard=Path(path).name.split(".")[0]) for path in status_files
    ]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=STATUS_COLUMNS)
    write_csv(frame, out)
    return frame
