"""The decision threshold of a segmenter, chosen on its validation tiles.

Two rules (``footprints.threshold``):

- ``unbiased``: the threshold at which the predicted mine area equals the labelled mine area
  over the validation tiles (the labelled-pixel count's highest probability). Areas and growth
  are sums of footprint areas, so a threshold that under- or over-segments by a share reads
  every area, and every area difference between date windows, short or long by that share.
- ``iou``: the threshold of a grid (0.2-0.8 in steps of 0.05) with the best pixel IoU.

Both see only the validation tiles' probabilities and labels; never the test tiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minescan.errors import MinescanInputError

RULES = ("unbiased", "iou")
GRID = np.round(np.arange(0.2, 0.81, 0.05), 2)
# An unbiased threshold is kept inside these bounds: a network that gives every pixel ~0 or ~1
# (untrained, or labels of one class) must not turn every pixel into a mine or none.
BOUNDS = (0.02, 0.98)


def pixel_counts(prob: np.ndarray, mine: np.ndarray, valid: np.ndarray, threshold: float):
    """(true positives, false positives, false negatives) of ``prob >= threshold``."""
    pred = (np.nan_to_num(prob) >= threshold) & valid
    truth = mine & valid
    return int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())


def iou(tp: int, fp: int, fn: int) -> float:
    return tp / (tp + fp + fn) if tp + fp + fn else float("nan")


def grid_scores(
    probs: Sequence[np.ndarray],
    mines: Sequence[np.ndarray],
    valids: Sequence[np.ndarray],
    thresholds: Sequence[float] = GRID,
) -> dict[float, float]:
    """Pixel IoU over all tiles at each threshold."""
    scores = {}
    for threshold in thresholds:
        counts = np.sum(
            [
                pixel_counts(p, m, v, threshold)
                for p, m, v in zip(probs, mines, valids, strict=True)
            ],
            axis=0,
        )
        scores[float(threshold)] = iou(*counts)
    return scores


def unbiased_threshold(
    probs: Sequence[np.ndarray], mines: Sequence[np.ndarray], valids: Sequence[np.ndarray]
) -> float:
    """The threshold whose predicted area over the tiles equals their labelled area: the
    n-th highest valid probability, n the labelled pixels (within ``BOUNDS``); 0.5 when no
    tile holds a labelled or a valid pixel."""
    values = np.concatenate([np.nan_to_num(p[v]) for p, v in zip(probs, valids, strict=True)])
    positives = int(sum(int((m & v).sum()) for m, v in zip(mines, valids, strict=True)))
    if positives == 0 or values.size == 0:
        return 0.5
    nth = float(np.partition(values, values.size - positives)[values.size - positives])
    return float(np.clip(nth, *BOUNDS))


def choose_threshold(
    rule: str,
    probs: Sequence[np.ndarray],
    mines: Sequence[np.ndarray],
    valids: Sequence[np.ndarray],
) -> tuple[float, dict[str, float]]:
    """The threshold of ``rule`` and its validation figures (IoU, IoU at 0.5, predicted over
    labelled area)."""
    if rule not in RULES:
        raise MinescanInputError(
            "footprints.threshold", f"unknown rule {rule!r}", f"use one of {list(RULES)}"
        )
    scores = grid_scores(probs, mines, valids)
    if rule == "unbiased":
        threshold = unbiased_threshold(probs, mines, valids)
    else:
        threshold = max(scores, key=lambda t: np.nan_to_num(scores[t], nan=-1))
    tp, fp, fn = np.sum(
        [pixel_counts(p, m, v, threshold) for p, m, v in zip(probs, mines, valids, strict=True)],
        axis=0,
    )
    return threshold, {
        "iou": iou(tp, fp, fn),
        "iou_at_0.5": scores.get(0.5, float("nan")),
        "area_ratio": float((tp + fp) / (tp + fn)) if tp + fn else float("nan"),
    }


__all__ = ["RULES", "choose_threshold", "grid_scores", "iou", "pixel_counts", "unbiased_threshold"]
