"""Pictures of a pyramid scan: the cells of every level over the polygons, the recall/compute
curve, and a threshold's evidence on its validation cells."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402


def _save(fig, path: str | Path) -> None:
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def plot_levels(
    levels: list[tuple[int, gpd.GeoDataFrame]],
    polygons: gpd.GeoDataFrame,
    region: gpd.GeoSeries,
    path: str | Path,
    simulated: bool,
) -> None:
    """One panel per level: cells kept (orange) and dropped (blue outline), polygons in black."""
    fig, axes = plt.subplots(1, len(levels), figsize=(4.2 * len(levels), 4.6), dpi=100)
    axes = np.atleast_1d(axes)
    xmin, ymin, xmax, ymax = region.total_bounds
    for ax, (zoom, cells) in zip(axes, levels, strict=True):
        region.boundary.plot(ax=ax, color="0.4", linewidth=0.8)
        kept, dropped = cells[cells["kept"]], cells[~cells["kept"]]
        if len(dropped):
            dropped.plot(ax=ax, facecolor="none", edgecolor="royalblue", linewidth=0.3)
        if len(kept):
            kept.plot(ax=ax, facecolor="orange", edgecolor="darkorange", alpha=0.6, linewidth=0.3)
        polygons.plot(ax=ax, color="black", linewidth=0)
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal")
        ax.set_title(f"z{zoom}: {len(cells)} scored, {len(kept)} kept", fontsize=9)
        ax.tick_params(labelsize=7)
    label = "SIMULATED imagery over real polygons" if simulated else "real imagery"
    fig.suptitle(f"minescan pyramid scan ({label}): kept cells in orange", fontsize=10)
    _save(fig, path)


def plot_curve(curve: pd.DataFrame, exhaustive_recall: float, path: str | Path, simulated: bool):
    """Recall of mining polygon area against the share of the exhaustive scan's pixels."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5), dpi=100)
    ax.plot(100 * curve["pixel_fraction"], curve["area_recall"], "o-", label="pyramid")
    for _, row in curve.iterrows():
        ax.annotate(
            f"{row['target_recall']:g}",
            (100 * row["pixel_fraction"], row["area_recall"]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
        )
    ax.plot([100], [exhaustive_recall], "s", color="black", label="exhaustive finest level")
    ax.axvline(10, color="0.6", linestyle=":", linewidth=1)
    ax.axhline(0.95, color="0.6", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("pixels fetched, % of the exhaustive finest-level scan")
    ax.set_ylabel("recall of mining polygon area")
    ax.set_ylim(-0.02, 1.02)
    label = "SIMULATED imagery" if simulated else "real imagery"
    ax.set_title(f"Recall vs compute as the per-level recall target varies ({label})", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def plot_threshold(table: pd.DataFrame, chosen: dict, zoom: int, path: str | Path) -> None:
    """Scores of the positive and negative validation cells, with the chosen threshold."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8), dpi=100)
    positive = table["label"] == "positive"
    bins = np.linspace(min(table["score"].min(), 0), max(table["score"].max(), 1e-9), 30)
    ax.hist(
        table.loc[positive, "score"],
        bins=bins,
        alpha=0.6,
        color="darkorange",
        label=f"positive cells ({int(positive.sum())})",
    )
    ax.hist(
        table.loc[~positive, "score"],
        bins=bins,
        alpha=0.6,
        color="royalblue",
        label=f"negative cells ({int((~positive).sum())})",
    )
    ax.axvline(
        chosen["threshold"],
        color="black",
        linestyle="--",
        label=f"threshold {chosen['threshold']:.7g}",
    )
    ax.set_xlabel("screen score of the cell")
    ax.set_ylabel("validation cells")
    ax.set_title(
        f"z{zoom}: target recall {chosen['target_recall']:g} -> area recall "
        f"{chosen['area_recall']:.3f}, cell recall {chosen['cell_recall']:.3f}, "
        f"false positive rate {chosen['false_positive_rate']:.3f}",
        fontsize=8,
    )
    ax.legend(fontsize=8)
    _save(fig, path)
