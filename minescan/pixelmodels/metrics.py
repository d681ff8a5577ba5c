"""Pixel-level metrics on held-out cells: precision, recall, F1, IoU, PR-AUC, specificity."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve


def best_f1_threshold(y_true: np.ndarray, score: np.ndarray) -> float:
    """The score threshold that maximises F1 (chosen on validation, applied to test)."""
    y_true = np.asarray(y_true) > 0.5
    if y_true.all() or not y_true.any():
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y_true, score)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def binary_metrics(y_true: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Counts and scores of ``score >= threshold`` against ``y_true > 0.5``."""
    truth = np.asarray(y_true) > 0.5
    pred = np.asarray(score) >= threshold
    tp = int(np.sum(truth & pred))
    fp = int(np.sum(~truth & pred))
    fn = int(np.sum(truth & ~pred))
    tn = int(np.sum(~truth & ~pred))

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    has_both = 0 < truth.sum() < truth.size
    return {
        "n": int(truth.size),
        "positives": int(truth.sum()),
        "threshold": float(threshold),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "iou": ratio(tp, tp + fp + fn),
        "pr_auc": float(average_precision_score(truth, score)) if has_both else float("nan"),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def breakdown(
    frame: pd.DataFrame, by: str, threshold: float, truth: str = "y_true", score: str = "score"
) -> pd.DataFrame:
    """binary_metrics per value of the metadata column ``by``."""
    rows = []
    for value, part in frame.groupby(by, sort=True, observed=True):
        rows.append({by: value, **binary_metrics(part[truth], part[score], threshold)})
    return pd.DataFrame(rows)
