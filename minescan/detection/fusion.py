"""Boxes of several predictions of one window fused into one set: ensemble members and
test-time augmentation (TTA).

Overhead imagery has no up, down, left or right, so the augmentations are the eight symmetries
of the square (``DIHEDRAL``: rotations by 0, 90, 180 and 270 degrees, each with and without a
left-right flip). Each member predicts each transformed window; the boxes are mapped back to
the window's own pixels and fused with weighted boxes fusion (``ensemble_boxes``, Solovyev et al.
2021): overlapping boxes from different predictions become their score-weighted mean box, and
the fused score is the mean over *all* predictions, so a box that only one of eight members or
views sees scores an eighth of what one all of them see. That is what cuts false alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# (quarter turns counter-clockwise, flip left-right first)
DIHEDRAL = [(k, flip) for flip in (False, True) for k in range(4)]
IDENTITY = [(0, False)]
# Boxes of different predictions with at least this IoU are one object (ensemble_boxes' default).
FUSION_IOU = 0.55


@dataclass
class WindowBoxes:
    """Boxes of one window in its pixels: (n, 4) x0 y0 x1 y1, scores, classes."""

    xyxy: np.ndarray
    scores: np.ndarray
    classes: np.ndarray


def transform_image(image: np.ndarray, turns: int, flip: bool) -> np.ndarray:
    """A (rows, cols, channels) window flipped left-right (if ``flip``), then turned."""
    out = image[:, ::-1] if flip else image
    return np.ascontiguousarray(np.rot90(out, turns, axes=(0, 1)))


def invert_boxes(xyxy: np.ndarray, turns: int, flip: bool, height: int, width: int) -> np.ndarray:
    """Boxes found on ``transform_image(window, turns, flip)`` in the window's own pixels."""
    x0, y0, x1, y1 = (xyxy[:, k].copy() for k in range(4))
    h, w = (width, height) if turns % 2 else (height, width)  # the transformed window's shape
    for _ in range(turns % 4):
        # Undo one counter-clockwise quarter turn: a point (x, y) of the turned image of height h
        # came from (h - y, x) of the image before it (whose width was h).
        x0, y0, x1, y1 = h - y1, x0, h - y0, x1
        h, w = w, h
    if flip:
        x0, x1 = width - x1, width - x0
    return np.stack([x0, y0, x1, y1], axis=1)


def fuse(predictions: Sequence[WindowBoxes], height: int, width: int, skip: float) -> WindowBoxes:
    """Weighted boxes fusion of ``predictions`` (each in the window's pixels); one prediction
    is returned as it is."""
    if len(predictions) == 1:
        return predictions[0]
    from ensemble_boxes import weighted_boxes_fusion

    scale = np.array([width, height, width, height], dtype=np.float64)
    boxes = [np.clip(p.xyxy / scale, 0.0, 1.0) for p in predictions]
    boxes, scores, classes = weighted_boxes_fusion(
        boxes,
        [p.scores for p in predictions],
        [p.classes for p in predictions],
        iou_thr=FUSION_IOU,
        skip_box_thr=skip,
    )
    return WindowBoxes(
        np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * scale,
        np.asarray(scores, dtype=np.float64),
        np.asarray(classes).astype(np.int64),
    )


def predict_windows(
    models: Sequence,
    crops: Sequence[np.ndarray],
    *,
    views: Sequence[tuple[int, bool]],
    image_size: int,
    confidence: float,
    iou: float,
    device: str,
) -> list[WindowBoxes]:
    """Fused boxes of every crop over every model and view (one model, one view: plain
    ultralytics prediction)."""
    found: list[list[WindowBoxes]] = [[] for _ in crops]
    for model in models:
        for turns, flip in views:
            batch = [transform_image(c, turns, flip) for c in crops]
            results = model.predict(
                batch, imgsz=image_size, conf=confidence, iou=iou, device=device, verbose=False
            )
            for k, result in enumerate(results):
                h, w = crops[k].shape[:2]
                xyxy = result.boxes.xyxy.cpu().numpy().astype(np.float64)
                found[k].append(
                    WindowBoxes(
                        invert_boxes(xyxy, turns, flip, h, w),
                        result.boxes.conf.cpu().numpy().astype(np.float64),
                        result.boxes.cls.cpu().numpy().astype(np.int64),
                    )
                )
    return [
        fuse(parts, c.shape[0], c.shape[1], confidence)
        for parts, c in zip(found, crops, strict=True)
    ]
