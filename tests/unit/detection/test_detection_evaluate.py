"""Box AP, per-object recall (IoU and covered area) and false alarms per area."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minescan.detection.evaluate import average_precision, object_recall, score_detections
from minescan.ml.labels import mine_regions


def boxes(rows, scores):
    frame = pd.DataFrame(rows, columns=["px_x0", "px_y0", "px_x1", "px_y1"], dtype=float)
    return frame.assign(score=scores)


def test_perfect_detections_give_ap_one_and_none_give_zero():
    truth = {"a": np.array([[0, 0, 10, 10]]), "b": np.array([[5, 5, 20, 20]])}
    found = {"a": boxes([[0, 0, 10, 10]], [0.9]), "b": boxes([[5, 5, 20, 20]], [0.8])}
    assert average_precision(truth, found, 0.5) == pytest.approx(1.0)
    assert average_precision(truth, {}, 0.5) == 0.0
    # A confident false box in front of the true ones lowers AP.
    found["b"] = boxes([[5, 5, 20, 20], [50, 50, 60, 60]], [0.8, 0.95])
    assert 0.3 < average_precision(truth, found, 0.5) < 1.0


def test_object_recall_by_iou_and_by_covered_area():
    mine = np.zeros((100, 100), dtype=np.uint8)
    mine[0:40, 0:40] = 1
    regions = {"a": mine_regions(mine)}
    half = boxes([[0, 0, 40, 25]], [0.9])  # covers 62 % of the region, IoU 0.62
    quarter = boxes([[0, 0, 20, 20]], [0.9])  # covers 25 %
    assert object_recall(regions, {"a": half}).iloc[0][
        ["found_iou50", "found_half_area"]
    ].tolist() == [True, True]
    row = object_recall(regions, {"a": quarter}).iloc[0]
    assert not row["found_iou50"] and not row["found_half_area"]
    assert row["covered_fraction"] == pytest.approx(0.25)


def test_false_alarms_are_counted_on_mine_free_tiles_per_100_km2():
    mine = np.zeros((100, 100), dtype=np.uint8)
    mine[10:30, 10:30] = 1
    regions = {"a": mine_regions(mine), "b": []}
    tiles = pd.DataFrame({"tile": ["a", "b"], "area_km2": [1.0, 2.0], "country": ["X", "Y"]})
    found = pd.concat(
        [
            boxes([[10, 10, 30, 30]], [0.9]).assign(tile="a"),
            boxes([[0, 0, 5, 5], [50, 50, 55, 55]], [0.5, 0.1]).assign(tile="b"),
        ]
    )
    metrics, recall, breakdown = score_detections(tiles, found, regions, confidence=0.25)
    assert metrics["object_recall_iou50"] == 1.0
    assert metrics["false_alarms_mine_free_tiles"] == 1
    assert metrics["false_alarms_per_100km2_mine_free_tiles"] == pytest.approx(50.0)
    assert metrics["map50"] == pytest.approx(1.0)
    assert breakdown.loc[breakdown["by"] == "country", "value"].tolist() == ["X"]
