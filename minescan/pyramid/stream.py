"""The exhaustive comparison scan: every cell of a shard fetched, screened and discarded.

An exhaustive scan of a region is there to be compared with, not looked at: writing its tiles
would cost more disk and time than fetching them. Each cell goes through the same backend and
the same compiled pixel model as the pyramid's tiles, so a cell both scans reach gets the same
scores (the tiles are lossless). Cells without usable imagery get no score, as in the scan; a
cell whose fetch fails is logged and left unscored, and the shard fails only above
``imagery.max_failed_fraction``, as the tiles step does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from minescan.cells import Cell, PolygonsByCrs, cell_from_row, mine_mask, read_cells
from minescan.imagery.backends import make_backend
from minescan.imagery.backends.base import prepare
from minescan.imagery.errors import CellSkipped, ShardFailed
from minescan.imagery.request import backend_options
from minescan.imagery.tiles import polygon_index
from minescan.outputs import write_parquet
from minescan.pixelmodels.model import LinearModel
from minescan.probability.apply import SCORE_COLUMNS, CompiledModel, summarize

log = logging.getLogger(__name__)


def screen_cell(
    cell: Cell, backend, polygons: PolygonsByCrs, model: CompiledModel, threshold: float
) -> dict[str, Any] | str | None:
    """The cell's screen scores; None when it has no usable imagery; the reason when its
    fetch failed."""
    mine = mine_mask(cell, polygons.near(cell.epsg, cell.bounds))
    try:
        image = backend.fetch(cell, mine)
    except CellSkipped as skipped:
        log.warning("cell %s: %s: %s", cell.cell_id, skipped.status, skipped.reason)
        return None
    except Exception as error:  # counted per cell; too many of them fail the shard
        log.error("cell %s failed: %s: %s", cell.cell_id, type(error).__name__, error)
        return f"{cell.cell_id}: {type(error).__name__}: {error}"
    started = time.perf_counter()
    stack = image.data[[image.bands.index(b) for b in model.bands]]
    valid = image.valid & np.all(stack != 0, axis=0)
    probability = model.probability(stack)
    row = summarize(cell.cell_id, probability[valid], mine[valid], threshold, "")
    row["model_seconds"] = time.perf_counter() - started
    return row


def stream_shard_scores(
    *,
    cells: str,
    polygons: str,
    shard: str,
    model: str,
    imagery: Mapping[str, Any],
    fetch: Mapping[str, Any],
    pixel_size: float,
    threads: int,
    out: str,
    provenance: dict,
    backend=None,
) -> pd.DataFrame:
    """Screen scores of every cell of ``shard`` without keeping its tiles (``backend``: the
    one built from ``imagery``, unless given)."""
    settings = dict(fetch)
    max_failed = float(settings.pop("max_failed_fraction", 0.0))
    table = read_cells(cells, shard)
    shard_cells = [cell_from_row(row, pixel_size) for row in table.to_dict("records")]
    linear = LinearModel.load(model)
    compiled = CompiledModel.from_model(linear)
    threshold = float(linear.meta.get("threshold", 0.5))
    backend = backend or make_backend(backend_options(imagery, settings), threads)
    prepare(backend)
    index = polygon_index(polygons, shard_cells, imagery)
    rows, failed = [], []
    with ThreadPoolExecutor(max_workers=backend.concurrency) as pool:
        futures = [
            pool.submit(screen_cell, cell, backend, index, compiled, threshold)
            for cell in shard_cells
        ]
        for done, future in enumerate(futures, start=1):
            row = future.result()
            if isinstance(row, dict):
                rows.append(row)
            elif row is not None:
                failed.append(row)
            if done % 50 == 0 or done == len(futures):
                log.info("shard %s: %d/%d cells screened", shard, done, len(futures))
    if len(failed) > max_failed * len(shard_cells):
        raise ShardFailed(
            f"shard {shard}: {len(failed)} of {len(shard_cells)} cells failed, more than "
            f"imagery.max_failed_fraction ({max_failed:g}): {'; '.join(failed)}. Rerun the "
            "shard once the service recovers"
        )
    frame = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    write_parquet(frame, out, provenance)
    return frame
