"""The detector as a pyramid screen over one shard of tiles (``pyramid.screen: detector``).

Each tile is run through the detection model (``minescan.pyramid.screens.detector_boxes``, the
windows of ``minescan.detection.predict``) and its boxes become a box-score raster on the
tile's grid: each pixel holds the best score of the boxes covering it, 0 outside every box.
The raster is summarised in the pixel screen's columns, over the tile's valid pixels, so the
thresholds step works unchanged: ``max_probability`` is the best box score
(``screens.best_box``, the level's statistic whatever ``pyramid.statistic`` says, see
``levels.level_statistic``), ``detected_fraction`` the share of valid pixels inside a box.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

from minescan.atomic import atomic_path
from minescan.ml.tiles import read_image
from minescan.outputs import geotiff_tags, write_parquet
from minescan.probability.apply import SCORE_COLUMNS, summarize
from minescan.pyramid.screens import best_box, detector_boxes

LOG = logging.getLogger(__name__)


def box_raster(boxes: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    """Per pixel, the best score of the boxes (tile pixels) that cover it; 0 elsewhere."""
    raster = np.zeros(shape, dtype=np.float32)
    rows, cols = shape
    for x0, y0, x1, y1, score in boxes[["px_x0", "px_y0", "px_x1", "px_y1", "score"]].to_numpy():
        # every pixel a box touches, so the smallest box still marks one pixel
        r0, r1 = max(0, int(np.floor(y0))), min(rows, max(int(np.ceil(y1)), int(y0) + 1))
        c0, c1 = max(0, int(np.floor(x0))), min(cols, max(int(np.ceil(x1)), int(x0) + 1))
        window = raster[r0:r1, c0:c1]
        np.maximum(window, np.float32(score), out=window)
    return raster


def write_box_raster(raster: np.ndarray, tile, path: Path, provenance: dict) -> None:
    with (
        atomic_path(path) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            width=raster.shape[1],
            height=raster.shape[0],
            count=1,
            dtype="float32",
            crs=tile.crs,
            transform=tile.transform,
            nodata=np.nan,
            compress="deflate",
        ) as dst,
    ):
        dst.write(np.where(tile.valid, raster, np.nan).astype(np.float32), 1)
        dst.set_band_description(1, "best_box_score")
        dst.update_tags(**geotiff_tags(provenance))


def detector_screen_shard(
    *,
    tiles_dir: str,
    status: str,
    model: str,
    out_dir: str,
    scores: str,
    provenance: dict,
    settings_dir: str,
    confidence: float,
    iou: float,
    overlap: int,
) -> pd.DataFrame:
    """Rule pyramid_screen_detector: the screen's score columns of every tile of a shard.
    ``model``: a detection ``weights.pt`` with its ``detector.json`` beside it."""
    from minescan.detection.record import load_detector
    from minescan.ml.runtime import device  # torch: only where the detector runs

    detector = load_detector(model, settings_dir)
    table = pd.read_csv(status)
    ok = table[table["status"] == "ok"]
    names = ok["cell_id"] if "cell_id" in ok else ok["tile"].map(lambda t: Path(t).stem)
    # a pixel in a box reaches the boxes' floor; outside every box it is 0
    in_box = confidence if confidence > 0 else float(np.finfo(np.float32).tiny)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, where = [], device()
    for name, cell_id in zip(ok["tile"], names, strict=True):
        path = Path(tiles_dir) / name
        tile = read_image(path, need_mine=False)
        start = time.perf_counter()
        valid = tile.valid
        if valid.any():
            boxes = detector_boxes(detector, tile, confidence, iou, overlap, where)
        else:  # no data: NaN scores (the cell is kept, as with the other screens)
            boxes = pd.DataFrame(columns=["px_x0", "px_y0", "px_x1", "px_y1", "score"])
        raster = box_raster(boxes, valid.shape)
        target = out / f"{path.stem}.tif"
        write_box_raster(raster, tile, target, provenance)
        mine = tile.mine[valid] if tile.mine is not None else np.full(int(valid.sum()), np.nan)
        row = summarize(str(cell_id), raster[valid], mine, in_box, str(target))
        if valid.any():  # a box over no-data pixels still counts, as in detector_score
            row["max_probability"] = best_box(boxes)
        row["model_seconds"] = time.perf_counter() - start
        rows.append(row)
    LOG.info("detector screen: %d of %d cells of the shard scored", len(rows), len(table))
    frame = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    write_parquet(frame, scores, provenance)
    return frame
