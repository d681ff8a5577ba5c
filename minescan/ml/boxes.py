"""Boxes in pixel coordinates (x0, y0, x1, y1): IoU, suppression, windows over large tiles and
the merging of boxes that a window border cut in two."""

from __future__ import annotations

import numpy as np

# Pixels from a window's inner border within which a box counts as cut by it.
BORDER_PX = 2


def windows(size: int, window: int, overlap: int) -> list[int]:
    """Start offsets of windows of ``window`` px covering ``size`` px with ``overlap``."""
    if size <= window:
        return [0]
    step = max(window - overlap, 1)
    starts = list(range(0, size - window, step))
    return [*starts, size - window]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of (n, 4) and (m, 4) x0, y0, x1, y1 boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-12)


def suppress(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy NMS, highest score first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i, order = order[0], order[1:]
        keep.append(i)
        if order.size:
            order = order[box_iou(boxes[i : i + 1], boxes[order])[0] <= iou]
    return np.asarray(keep, dtype=np.int64)


def merge_cut_boxes(
    boxes: np.ndarray, scores: np.ndarray, window_ids: np.ndarray, cut: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Union of boxes from different windows that touch, where one was cut by its window.

    Repeats until nothing merges; each pass compares the cut boxes with all others, so the cost
    is O(boxes x cut boxes) per merge.
    """
    boxes, scores = boxes.astype(np.float64).copy(), scores.astype(np.float64).copy()
    window_ids, cut = window_ids.copy(), cut.astype(bool).copy()
    while True:
        pairs = []
        for i in np.flatnonzero(cut):
            touch = (
                (boxes[:, 0] <= boxes[i, 2])
                & (boxes[i, 0] <= boxes[:, 2])
                & (boxes[:, 1] <= boxes[i, 3])
                & (boxes[i, 1] <= boxes[:, 3])
                & (window_ids != window_ids[i])
            )
            partners = np.flatnonzero(touch)
            if partners.size:
                pairs.append((int(i), int(partners[0])))
                break
        if not pairs:
            return boxes, scores
        i, j = pairs[0]
        keep, drop = min(i, j), max(i, j)
        boxes[keep] = [
            min(boxes[i, 0], boxes[j, 0]),
            min(boxes[i, 1], boxes[j, 1]),
            max(boxes[i, 2], boxes[j, 2]),
            max(boxes[i, 3], boxes[j, 3]),
        ]
        scores[keep] = max(scores[i], scores[j])
        # The union is cut where either part still ends at an inner border of its window.
        cut[keep] = cut[i] or cut[j]
        window_ids[keep] = min(window_ids[i], window_ids[j]) if cut[keep] else -1 - keep
        rest = np.arange(len(boxes)) != drop
        boxes, scores, window_ids, cut = boxes[rest], scores[rest], window_ids[rest], cut[rest]
