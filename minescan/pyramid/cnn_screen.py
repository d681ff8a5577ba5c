"""The chip CNN as a pyramid screen over one shard of tiles (``pyramid.screen: chip_cnn``).

Each tile is scanned in 48 px windows at a 24 px stride (``minescan.chips.raster``; its
probability raster is written like the pixel screen's) and summarised in the pixel screen's
columns, over windows instead of pixels: ``max_probability`` is the best window,
``detected_fraction`` the share of windows at or above the model's first operating point
(best F1 for minescan's ensembles; AMW's published models are read from their ``.h5``), so
``pyramid.statistic`` and the thresholds step work unchanged.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.chips.raster import scan_to_raster
from minescan.chips.shipped import decision_threshold, load_chip_model, tile_bands
from minescan.errors import MinescanInputError
from minescan.imagery.tile import read_tile
from minescan.outputs import write_parquet
from minescan.probability.apply import SCORE_COLUMNS, summarize
from minescan.pyramid.screens import STRIDE_PX

LOG = logging.getLogger(__name__)


def cnn_screen_shard(
    *, tiles_dir: str, status: str, model: str, out_dir: str, scores: str, provenance: dict
) -> pd.DataFrame:
    table = pd.read_csv(status)
    ok = table[table["status"] == "ok"]
    screen = load_chip_model(model)
    bands = tile_bands(screen)
    threshold = decision_threshold(screen)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    rows = []
    for name in ok["tile"]:
        path = Path(tiles_dir) / name
        try:
            tile = read_tile(path, bands)
        except KeyError as error:
            raise MinescanInputError(
                str(path),
                f"the chip_cnn screen ({screen.name}) needs bands {bands} ({error})",
                "add them to imagery.bands, or use pyramid.screen: pixel for this level",
            ) from None
        start = time.perf_counter()
        out = Path(out_dir) / f"{path.stem}.tif"
        windows = scan_to_raster(
            screen,
            tile.data,
            tile.transform,
            tile.crs,
            out,
            STRIDE_PX,
            provenance,
            screen.size,
            model=screen.name,
        )
        scored = windows[np.isfinite(windows)]
        cell_id = tile.tags.get("cell_id", path.stem)
        row = summarize(cell_id, scored, tile.mine[tile.valid], threshold, str(out))
        row["model_seconds"] = time.perf_counter() - start
        rows.append(row)
    LOG.info("chip CNN screen: %d of %d cells of the shard scored", len(rows), len(table))
    frame = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    write_parquet(frame, scores, provenance)
    return frame
