"""Figures of the pixel models: weights and scores along the lambda path, PR curves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402


def _save(fig, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format=Path(path).suffix[1:] or "png")
    plt.close(fig)


def plot_weight_path(
    weights: pd.DataFrame, chosen_lambda: float, path: str | Path, title: str, label_top: int = 10
) -> None:
    """|w_i| (standardized features) against lambda; the last weights to vanish are named."""
    lambdas = weights["lambda"].to_numpy()
    coefs = weights.drop(columns=["lambda", "intercept"])
    fig, ax = plt.subplots(figsize=(8, 5))
    entry = {c: lambdas[np.flatnonzero(coefs[c].to_numpy())].max(initial=0) for c in coefs}
    top = sorted(entry, key=entry.get, reverse=True)[:label_top]
    for name in coefs.columns:
        values = np.abs(coefs[name].to_numpy())
        if name in top:
            ax.plot(lambdas, values, lw=1.6, label=name)
        else:
            ax.plot(lambdas, values, lw=0.6, color="0.7")
    ax.axvline(chosen_lambda, color="k", ls="--", lw=1, label=f"chosen lambda {chosen_lambda:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("lambda (L1 penalty)")
    ax.set_ylabel("|w_i| (standardized features)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    _save(fig, path)


def plot_path_scores(
    scores: pd.DataFrame, chosen_lambda: float, path: str | Path, title: str
) -> None:
    """Validation PR-AUC, F1 and IoU against lambda, with the number of non-zero weights."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for column in ("pr_auc", "f1", "iou"):
        ax.plot(scores["lambda"], scores[column], marker=".", label=f"validation {column}")
    ax.axvline(chosen_lambda, color="k", ls="--", lw=1, label="chosen lambda")
    ax.set_xscale("log")
    ax.set_xlabel("lambda (L1 penalty)")
    ax.set_ylabel("score on validation cells")
    ax.set_ylim(0, 1)
    twin = ax.twinx()
    twin.step(scores["lambda"], scores["nonzero"], where="mid", color="0.5", lw=1)
    twin.set_ylabel("non-zero weights", color="0.4")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title)
    _save(fig, path)


def plot_pr_curves(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]], path: str | Path, title: str
) -> None:
    """Precision-recall curves, one per model: ``name -> (truth, score)``."""
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, (truth, score) in curves.items():
        truth = np.asarray(truth) > 0.5
        if truth.all() or not truth.any():
            continue
        precision, recall, _ = precision_recall_curve(truth, score)
        ax.plot(recall, precision, label=name)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    _save(fig, path)
