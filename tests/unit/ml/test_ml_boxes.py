"""Windows over large tiles, suppression, and boxes cut by window borders merged back."""

from __future__ import annotations

import numpy as np

from minescan.ml.boxes import box_iou, merge_cut_boxes, suppress, windows


def test_windows_cover_the_tile_and_stay_inside():
    assert windows(100, 128, 32) == [0]
    assert windows(448, 224, 64) == [0, 160, 224]
    starts = windows(1000, 256, 64)
    assert starts[0] == 0 and starts[-1] == 1000 - 256
    assert all(b - a <= 256 - 64 for a, b in zip(starts, starts[1:], strict=False))


def test_iou_and_suppression():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=float)
    assert box_iou(boxes[:1], boxes[1:2])[0, 0] == 81 / 119
    assert suppress(boxes, np.array([0.9, 0.8, 0.7]), 0.5).tolist() == [0, 2]


def test_a_box_cut_by_a_window_border_is_merged_back():
    # One mine from x=100 to 160 seen by two windows split at x=128 (+ an unrelated box).
    boxes = np.array([[100, 10, 128, 40], [126, 12, 160, 42], [300, 300, 310, 310]], dtype=float)
    merged, scores = merge_cut_boxes(
        boxes, np.array([0.6, 0.8, 0.5]), np.array([0, 1, 1]), np.array([True, True, False])
    )
    assert merged.tolist() == [[100, 10, 160, 42], [300, 300, 310, 310]]
    assert scores.tolist() == [0.8, 0.5]


def test_boxes_of_one_window_or_uncut_are_left_alone():
    boxes = np.array([[0, 0, 10, 10], [5, 5, 15, 15]], dtype=float)
    same_window, _ = merge_cut_boxes(boxes, np.ones(2), np.array([0, 0]), np.array([True, True]))
    uncut, _ = merge_cut_boxes(boxes, np.ones(2), np.array([0, 1]), np.array([False, False]))
    assert len(same_window) == 2 and len(uncut) == 2
