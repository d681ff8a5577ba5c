"""Figures of the segmentation stage: training curves and the held-out gallery."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.atomic import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: pd.DataFrame, path: str | Path, title: str) -> None:
    """Training loss and validation IoU per epoch."""
    plt = _pyplot()
    fig, left = plt.subplots(figsize=(6, 3.5))
    left.plot(history["epoch"], history["train_loss"], "o-", color="tab:blue", label="train loss")
    left.set_xlabel("epoch")
    left.set_ylabel("Dice + focal loss (training chips)", color="tab:blue")
    right = left.twinx()
    for column, style in (("val_iou_best_threshold", "s-"), ("val_iou_at_0.5", "^--")):
        if history[column].notna().any():
            right.plot(history["epoch"], history[column], style, color="tab:red", label=column)
    right.set_ylabel("validation IoU (whole tiles)", color="tab:red")
    right.set_ylim(0, 1)
    fig.suptitle(title, fontsize=9)
    fig.legend(loc="lower center", fontsize=7, ncol=3)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)


def plot_learning_curve(curve: pd.DataFrame, path: str | Path) -> None:
    """Test and training-tile IoU and test object recall against training tiles."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    x = curve["train_tiles"]
    ax.plot(x, curve["test_iou"], "o-", color="tab:red", label="IoU, held-out test tiles")
    ax.plot(x, curve["train_iou"], "s--", color="tab:blue", label="IoU, its training tiles")
    ax.plot(x, curve["test_object_recall"], "^-", color="tab:green", label="object recall, test")
    ax.set_xlabel("training tiles")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle("Footprints learning curve (same recipe, share of training regions)", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)


def plot_gallery(
    predictions: Sequence,
    boxes: dict[str, pd.DataFrame] | None,
    path: str | Path,
    title: str,
    count: int = 12,
) -> None:
    """Held-out tiles (first three channels as RGB), the labelled outline in green, the
    footprints in red, and the detector's boxes (dashed yellow) where given."""
    plt = _pyplot()
    chosen = sorted(predictions, key=lambda p: -int(p.tile.mine.sum()))[:count]
    columns = 4
    rows = max(1, int(np.ceil(len(chosen) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, p in zip(axes.ravel(), chosen, strict=False):
        pixels = p.tile.pixels
        rgb = np.moveaxis(pixels[:3] if len(pixels) >= 3 else pixels[[0, 0, 0]], 0, -1)
        ax.imshow(rgb)
        if p.tile.mine.any():
            ax.contour(p.tile.mine.astype(float), levels=[0.5], colors="lime", linewidths=1.2)
        if (p.footprints > 0).any():
            ax.contour((p.footprints > 0).astype(float), levels=[0.5], colors="red", linewidths=1)
        for r in (boxes or {}).get(p.tile.tile, pd.DataFrame()).itertuples():
            ax.add_patch(
                plt.Rectangle(
                    (r.px_x0, r.px_y0),
                    r.px_x1 - r.px_x0,
                    r.px_y1 - r.px_y0,
                    fill=False,
                    ec="yellow",
                    ls="--",
                    lw=1,
                )
            )
        ax.set_title(str(p.tile.tile)[-24:], fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
