"""Chip-level figures with block-bootstrap 95 % intervals.

PR-AUC, ROC-AUC, F1 (precision, recall, specificity) of decisions made with thresholds chosen
on validation folds, and the sensitivity at fixed specificities (Amazon Mining Watch reports
0.99 and 0.998) read off the ROC curve of the held-out scores. Intervals resample whole
spatial blocks with replacement (chips of one block are not independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from minescan.bootstrap import block_intervals

SPECIFICITIES = (0.99, 0.998)
INTERVAL_METRICS = (
    "pr_auc",
    "roc_auc",
    "f1",
    *[f"sensitivity_at_specificity_{s:g}" for s in SPECIFICITIES],
)


def sensitivity_at_specificity(y: np.ndarray, score: np.ndarray, specificity: float) -> float:
    """Largest true-positive rate with a false-positive rate of at most 1 - specificity."""
    y = np.asarray(y) > 0.5
    if y.all() or not y.any():
        return float("nan")
    fpr, tpr, _ = roc_curve(y, score)
    ok = fpr <= 1.0 - specificity + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0


def specificity_threshold(y: np.ndarray, score: np.ndarray, specificity: float) -> float:
    """The lowest threshold at which at most ``1 - specificity`` of the negatives score at or
    above it (chosen on validation chips; applied to held-out ones it gives an honest
    operating point, unlike a sensitivity read off the held-out ROC curve)."""
    negatives = np.sort(np.asarray(score, dtype=float)[np.asarray(y) < 0.5])
    if negatives.size == 0:
        return 0.5
    allowed = int(np.floor((1.0 - specificity) * negatives.size + 1e-9))
    return float(np.nextafter(negatives[negatives.size - 1 - allowed], np.inf))


def operating_point(
    y: np.ndarray, decision: np.ndarray, specificity: float = 0.99
) -> dict[str, float]:
    """Held-out sensitivity and specificity of decisions at a validation threshold chosen
    for ``specificity``."""
    y = np.asarray(y) > 0.5
    decision = np.asarray(decision, dtype=bool)
    name = f"validation_threshold_{specificity:g}"
    return {
        f"sensitivity_at_{name}": float(decision[y].mean()) if y.any() else float("nan"),
        f"specificity_at_{name}": float((~decision[~y]).mean()) if (~y).any() else float("nan"),
    }


def point_metrics(y: np.ndarray, score: np.ndarray, decision: np.ndarray) -> dict[str, float]:
    y = np.asarray(y) > 0.5
    decision = np.asarray(decision, dtype=bool)
    tp = int(np.sum(y & decision))
    fp = int(np.sum(~y & decision))
    fn = int(np.sum(y & ~decision))
    tn = int(np.sum(~y & ~decision))

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    both = 0 < y.sum() < y.size
    out = {
        "n": int(y.size),
        "positives": int(y.sum()),
        "chance_pr_auc": float(y.mean()) if y.size else float("nan"),
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }
    for s in SPECIFICITIES:
        out[f"sensitivity_at_specificity_{s:g}"] = sensitivity_at_specificity(y, score, s)
    return out


def bootstrap_intervals(
    y: np.ndarray,
    score: np.ndarray,
    decision: np.ndarray,
    groups: np.ndarray,
    n_boot: int,
    seed: int,
) -> dict[str, float]:
    """2.5 and 97.5 percentiles of INTERVAL_METRICS over ``n_boot`` block resamples."""
    return block_intervals(
        (y, score, decision), groups, point_metrics, INTERVAL_METRICS, n_boot, seed
    )


def metrics_row(
    y: np.ndarray,
    score: np.ndarray,
    decision: np.ndarray,
    groups: np.ndarray,
    n_boot: int,
    seed: int,
) -> dict[str, float]:
    """Point figures and, when ``n_boot`` > 0, their block-bootstrap intervals."""
    row = point_metrics(y, score, decision)
    if n_boot > 0:
        row.update(bootstrap_intervals(y, score, decision, groups, n_boot, seed))
    return row


def flagged_rates(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of chips decided 'mine' per value of ``by`` (false-positive rate for the
    negative categories; for the ``before`` role, how often the place already looks mined)."""
    return (
        frame.groupby(by, sort=True)
        .agg(n=("decision", "size"), flagged=("decision", "sum"))
        .assign(rate=lambda t: t["flagged"] / t["n"])
        .reset_index()
    )
