"""One evaluation of a segmenter on labelled tiles (and mine-free scenes), and its files.

Shared by the workflow's evaluation rules and the scoring command, so a folder scored by hand
gets exactly the metrics of the report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from minescan.footprints.data import TilePixels, load_pixels
from minescan.footprints.evaluate import (
    Prediction,
    breakdown,
    false_alarms,
    footprint_boxes,
    predict_tiles,
    score,
)
from minescan.footprints.model import Segmenter
from minescan.ml.labels import mine_regions
from minescan.outputs import write_csv, write_json

LOG = logging.getLogger(__name__)


@dataclass
class Assessment:
    metrics: dict[str, Any]
    objects: pd.DataFrame
    per_tile: pd.DataFrame
    breakdown: pd.DataFrame
    predictions: list[Prediction]
    background: list[Prediction] = field(default_factory=list)


def background_pixels(segmenter: Segmenter, folder: str | Path, tile_px: int) -> list[TilePixels]:
    """The mine-free scenes of ``folder`` cut into tiles and scaled as the model's input."""
    from minescan.ml.background import background_tiles
    from minescan.ml.channels import channel_stack

    bands = sorted({b for f in segmenter.features for b in f.bands})
    out = []
    for tile_id, image in background_tiles(folder, bands, tile_px):
        stack = channel_stack(image.data, image.bands, segmenter.features)
        pixels = np.moveaxis(segmenter.scaling.apply(stack, image.valid), -1, 0)
        out.append(
            TilePixels(
                tile_id,
                np.ascontiguousarray(pixels),
                np.zeros(image.shape, dtype=bool),
                image.valid,
                image.transform,
                image.crs,
            )
        )
    return out


def assess(
    segmenter: Segmenter,
    table: pd.DataFrame,
    *,
    window_px: int,
    overlap_px: int,
    min_area_m2: float,
    min_object_pixels: int,
    background: str | Path | None = None,
    device: str = "cpu",
) -> Assessment:
    """Scores of ``segmenter`` on every tile of ``table``, false alarms on ``background``."""
    tiles = load_pixels(table, segmenter.features, segmenter.scaling)
    predictions = predict_tiles(segmenter, tiles, window_px, overlap_px, min_area_m2, device)
    metrics, objects, per_tile = score(predictions, min_object_pixels)
    metrics = {"threshold": segmenter.threshold, "min_area_m2": min_area_m2, **metrics}
    scenes = []
    if background:
        scenes = predict_tiles(
            segmenter,
            background_pixels(segmenter, background, window_px),
            window_px,
            overlap_px,
            min_area_m2,
            device,
        )
        metrics.update(false_alarms(scenes))
    LOG.info("assessment: %s", metrics)
    return Assessment(
        metrics, objects, per_tile, breakdown(objects, per_tile, table), predictions, scenes
    )


def regions_and_boxes(result: Assessment, min_object_pixels: int):
    """The true regions and the footprints' boxes of each scored tile, for the comparison."""
    regions = {
        p.tile.tile: mine_regions(p.tile.mine, min_object_pixels) for p in result.predictions
    }
    boxes = {p.tile.tile: footprint_boxes(p.footprints, p.prob) for p in result.predictions}
    return regions, boxes


def write_assessment(
    result: Assessment,
    *,
    metrics_out: str | Path,
    objects_out: str | Path,
    tiles_out: str | Path,
    breakdown_out: str | Path,
    gallery_out: str | Path,
    provenance: Mapping[str, Any],
    title: str,
    extra: Mapping[str, Any] | None = None,
    detector_boxes: dict[str, pd.DataFrame] | None = None,
) -> None:
    from minescan.footprints.plots import plot_gallery

    write_json({**result.metrics, **(extra or {})}, metrics_out, provenance)
    write_csv(result.objects, objects_out)
    write_csv(result.per_tile, tiles_out)
    write_csv(result.breakdown, breakdown_out)
    plot_gallery(result.predictions, detector_boxes, gallery_out, title)
