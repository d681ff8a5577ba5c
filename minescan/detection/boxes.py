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
    """Union of boxes from different windows that touch, where one was cut by its window."""
    boxes, scores, window_ids, cut = boxes.copy(), scores.copy(), window_ids.copy(), cut.copy()
    merged = True
    while merged and len(boxes) > 1:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if window_ids[i] == window_ids[j] or not (cut[i] or cut[j]):
                    continue
                a, b = boxes[i], boxes[j]
                touch = a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
                if not touch:
                    continue
                boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                scores[i] = max(scores[i], scores[j])
                cut[i] = cut[i] and cut[j]
                keep = np.arange(len(boxes)) != j
                boxes, scores, window_ids, cut = (
                    boxes[keep],
                    scores[keep],
                    window_ids[keep],
                    cut[keep],
                )
                merged = True
                break
            if merged:
                break
    return boxes, scores
