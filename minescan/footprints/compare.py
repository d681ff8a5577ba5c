"""Detector boxes next to boxes drawn around the footprints, on the same held-out tiles.

Both are scored with the detection stage's own per-object recall (a true region is found by a
box with IoU >= 0.5, or when the boxes cover half of it), so the two columns differ only in
where the boxes came from. "At equal false alarms": the detector's score threshold is set so
that its boxes on the mine-free scenes are no more frequent per 100 km² than the footprints
there; without mine-free scenes both are compared at the detector's configured confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from minescan.detection.assess import threshold_for_false_alarms
from minescan.detection.evaluate import object_recall


def _recall(regions: Mapping[str, list], boxes: Mapping[str, pd.DataFrame]) -> dict:
    table = object_recall(regions, boxes)
    return {
        "objects": int(len(table)),
        "recall_iou50": round(float(table["found_iou50"].mean()), 4) if len(table) else None,
        "recall_half_area": round(float(table["found_half_area"].mean()), 4)
        if len(table)
        else None,
    }


def compare_boxes(
    regions: Mapping[str, list],
    footprint_boxes: Mapping[str, pd.DataFrame],
    footprint_rate: float | None,
    detections: pd.DataFrame,
    confidence: float,
    background_scores: Sequence[float] | None = None,
    background_km2: float | None = None,
) -> pd.DataFrame:
    """One row per method: recall on ``regions``' tiles and false alarms per 100 km²."""
    tiles = list(regions)
    mine = detections[detections["tile"].astype(str).isin(tiles)]
    rows = [
        {
            "method": "footprint boxes (segmentation)",
            "threshold": None,
            "false_alarms_per_100km2": footprint_rate,
            **_recall(regions, footprint_boxes),
        }
    ]
    thresholds = [("detector at its confidence", confidence)]
    have_background = background_scores is not None and background_km2
    if have_background and footprint_rate is not None:
        thresholds.append(
            (
                "detector at the footprints' false-alarm rate",
                threshold_for_false_alarms(
                    np.asarray(background_scores), background_km2, footprint_rate
                ),
            )
        )
    for name, threshold in thresholds:
        kept = mine[mine["score"] >= threshold]
        boxes = {t: g for t, g in kept.groupby(kept["tile"].astype(str))}
        rate = (
            round(100 * int((np.asarray(background_scores) >= threshold).sum()) / background_km2, 3)
            if have_background
            else None
        )
        rows.append(
            {
                "method": name,
                "threshold": round(float(threshold), 4),
                "false_alarms_per_100km2": rate,
                **_recall(regions, boxes),
            }
        )
    return pd.DataFrame(rows)
