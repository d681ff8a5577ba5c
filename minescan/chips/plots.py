"""Figures of the chip evaluation: PR curves, calibration, the worst errors, learning curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from minescan.pixelmodels.plots import _save  # noqa: E402

RGB = (2, 1, 0)  # B4, B3, B2 in the chips' band order B2 B3 B4 B8 B11 B12


def plot_task_curves(predictions: pd.DataFrame, path: str | Path, title: str) -> None:
    """PR curves (top) and reliability diagrams (bottom), one column per task."""
    tasks = list(dict.fromkeys(predictions["task"]))
    fig, axes = plt.subplots(2, len(tasks), figsize=(5.5 * len(tasks), 9.5), squeeze=False)
    for j, task in enumerate(tasks):
        part = predictions[(predictions["task"] == task) & predictions["y"].notna()]
        pr, cal = axes[0, j], axes[1, j]
        keys = ["model", "scheme"] if "scheme" in part else ["model"]
        for key, rows in part.groupby(keys, sort=False):
            model = " / ".join(str(k).replace("_", " ") for k in key)
            truth = rows["y"].to_numpy() > 0.5
            if truth.all() or not truth.any():
                continue
            precision, recall, _ = precision_recall_curve(truth, rows["score"])
            pr.plot(recall, precision, label=model, lw=1.2)
            observed, predicted = calibration_curve(truth, rows["score"], n_bins=10)
            cal.plot(predicted, observed, marker=".", label=model, lw=1.0)
        chance = float(part["y"].mean()) if len(part) else 0
        pr.axhline(chance, color="0.5", ls=":", lw=1, label=f"chance {chance:.2f}")
        pr.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        pr.set_title(f"{task}: held out")
        cal.plot([0, 1], [0, 1], color="0.5", ls=":", lw=1)
        cal.set(xlabel="predicted probability", ylabel="observed share of positives")
        cal.set(xlim=(0, 1), ylim=(0, 1), title=f"{task}: calibration")
        for ax in (pr, cal):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(title)
    _save(fig, path)


def rgb(chip: np.ndarray) -> np.ndarray:
    """An (h, w, 3) display image: B4/B3/B2, 2-98 % stretch of the chip itself."""
    image = chip[..., list(RGB)].astype(np.float64)
    lo, hi = np.percentile(image, [2, 98]) if image.any() else (0.0, 1.0)
    return np.clip((image - lo) / max(hi - lo, 1e-9), 0, 1)


def plot_gallery(
    errors: pd.DataFrame, before: np.ndarray, after: np.ndarray, path: str | Path, title: str
) -> None:
    """One row per chip pair: RGB of t0 and t1; ``errors`` gives the label text per row."""
    n = max(len(errors), 1)
    fig, axes = plt.subplots(n, 2, figsize=(4.2, 2.1 * n), squeeze=False)
    for i in range(n):
        for j, image in enumerate((before, after)):
            ax = axes[i, j]
            ax.axis("off")
            if i < len(errors):
                ax.imshow(rgb(image[i]), interpolation="nearest")
                if j == 0:
                    ax.set_title(errors["text"].iat[i], fontsize=6, loc="left")
    fig.suptitle(title, fontsize=9)
    _save(fig, path)


def worst_errors(predictions: pd.DataFrame, model: str, count: int) -> pd.DataFrame:
    """The ``count`` highest-scored negatives and lowest-scored positives of one model."""
    part = predictions[(predictions["model"] == model) & predictions["y"].notna()]
    fp = part[part["y"] == 0].nlargest(count, "score").assign(error="false positive")
    fn = part[part["y"] == 1].nsmallest(count, "score").assign(error="false negative")
    out = pd.concat([fp, fn], ignore_index=True)
    out["text"] = [
        f"{r.error} {r.score:.2f} ({r.category})\n{r.sample_id}" for r in out.itertuples()
    ]
    return out


def plot_learning_curve(curve: pd.DataFrame, path: str | Path) -> None:
    """Held-out PR-AUC (solid) and sensitivity at specificity 0.99 (dashed) against the share
    of the training folds used, per task and model."""
    tasks = list(dict.fromkeys(curve["task"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4), squeeze=False)
    sensitivity = "sensitivity_at_specificity_0.99"
    for ax, task in zip(axes[0], tasks, strict=True):
        part = curve[curve["task"] == task]
        for model, rows in part.groupby("model"):
            rows = rows.sort_values("train_fraction")
            line = ax.plot(rows["train_fraction"], rows["pr_auc"], marker="o", label=model)
            if sensitivity in rows:
                ax.plot(
                    rows["train_fraction"],
                    rows[sensitivity],
                    ls="--",
                    marker=".",
                    color=line[0].get_color(),
                    label=f"{model}: sens. at spec. 0.99",
                )
        ax.set(xlabel="share of the training folds' chips", ylabel="held out")
        ax.set(ylim=(0, 1), title=f"{task}: learning curve")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path)
