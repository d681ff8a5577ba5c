"""The footprint scores: pixels, objects found when half covered, areas, false alarms, and the
detector's threshold at an equal false-alarm rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rasterio.crs import CRS
from rasterio.transform import from_origin

from minescan.detection.assess import threshold_for_false_alarms as threshold_at_rate
from minescan.footprints.compare import compare_boxes
from minescan.footprints.data import TilePixels
from minescan.footprints.evaluate import Prediction, false_alarms, score

UTM = CRS.from_epsg(32750)
GRID = from_origin(500000, 9960000, 10, 10)


def prediction(mine: np.ndarray, predicted: np.ndarray, name: str = "t") -> Prediction:
    from scipy import ndimage

    tile = TilePixels(
        name, np.zeros((3, *mine.shape), np.uint8), mine, np.ones_like(mine), GRID, UTM
    )
    labelled, _ = ndimage.label(predicted, structure=np.ones((3, 3)))
    return Prediction(tile, predicted.astype(np.float32), labelled)


def square(size, y, x, side):
    mask = np.zeros((size, size), dtype=bool)
    mask[y : y + side, x : x + side] = True
    return mask


def test_a_perfect_prediction_scores_one_and_no_area_error():
    mine = square(50, 10, 10, 20)
    metrics, objects, per_tile = score([prediction(mine, mine)], min_object_pixels=4)
    assert metrics["iou"] == 1 and metrics["object_recall"] == 1
    assert metrics["total_relative_area_error"] == 0
    assert per_tile["true_area_m2"].iloc[0] == pytest.approx(400 * 100)


def test_an_object_counts_as_found_when_one_footprint_covers_half_of_it():
    mine = square(60, 0, 0, 20)  # 400 px
    more_than_half = square(60, 0, 0, 20) & (np.arange(60)[None, :] < 12)  # 240 px
    less_than_half = square(60, 0, 0, 20) & (np.arange(60)[None, :] < 8)  # 160 px
    _, found, _ = score([prediction(mine, more_than_half)], min_object_pixels=4)
    _, missed, _ = score([prediction(mine, less_than_half)], min_object_pixels=4)
    assert found["found"].tolist() == [True] and found["covered_fraction"][0] == 0.6
    assert missed["found"].tolist() == [False]


def test_two_footprints_that_together_cover_half_do_not_find_an_object():
    mine = square(60, 0, 0, 20)
    split = mine & ((np.arange(60)[None, :] < 6) | (np.arange(60)[None, :] >= 14))
    split[:, 6:14] = False
    _, objects, _ = score([prediction(mine, split)], min_object_pixels=4)
    assert objects["covered_fraction"][0] == pytest.approx(0.3)
    assert not objects["found"][0]


def test_area_errors_per_tile_and_in_total():
    mine = square(50, 0, 0, 10)  # 100 px
    bigger = square(50, 0, 0, 20)  # 400 px
    metrics, _, per_tile = score(
        [prediction(mine, bigger, "a"), prediction(mine, mine, "b")], min_object_pixels=4
    )
    assert per_tile["relative_area_error"].tolist() == [3.0, 0.0]
    assert metrics["total_relative_area_error"] == pytest.approx(1.5)


def test_false_alarms_per_100_km2():
    empty = np.zeros((100, 100), dtype=bool)  # 1 km² at 10 m
    alarms = square(100, 0, 0, 5) | square(100, 50, 50, 5)
    rates = false_alarms([prediction(empty, alarms)])
    assert rates["background_km2"] == pytest.approx(1.0)
    assert rates["false_alarms_per_100km2"] == pytest.approx(200.0)


def test_the_detector_threshold_at_an_equal_false_alarm_rate():
    scores = np.array([0.9, 0.8, 0.5, 0.3])
    # 100 km², 2 alarms allowed per 100 km²: the two best boxes stay.
    threshold = threshold_at_rate(scores, 100.0, 2.0)
    assert (scores >= threshold).sum() == 2
    assert threshold_at_rate(scores, 100.0, 0.0) > 0.9
    assert threshold_at_rate(scores, 100.0, 10.0) == 0.0


def test_boxes_are_compared_on_the_same_tiles_with_one_scoring():
    from minescan.ml.labels import mine_regions

    mine = square(50, 10, 10, 20)
    regions = {"t": mine_regions(mine, 4)}
    boxes = {"t": pd.DataFrame({"px_x0": [10], "px_y0": [10], "px_x1": [30], "px_y1": [30]})}
    detections = pd.DataFrame(
        {"tile": ["t", "other"], "score": [0.2, 0.9], "px_x0": [40, 40], "px_y0": [40, 40]}
        | {"px_x1": [50, 50], "px_y1": [50, 50]}
    )
    table = compare_boxes(regions, boxes, 0.0, detections, 0.1, np.array([0.5]), 10.0)
    by = table.set_index("method")
    assert by.loc["footprint boxes (segmentation)", "recall_iou50"] == 1.0
    assert by.loc["detector at its confidence", "recall_iou50"] == 0.0
    assert by.loc["detector at the footprints' false-alarm rate", "false_alarms_per_100km2"] == 0
