"""Map of the cells of one zoom level over the mining polygons (PNG for the report)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402


def plot_grid_map(
    cells: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, path: str | Path, title: str
) -> None:
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    xmin, ymin, xmax, ymax = cells.total_bounds
    near = polygons.cx[xmin:xmax, ymin:ymax]
    near.plot(ax=ax, color="0.25", linewidth=0)
    positives = cells[cells["label"] == "positive"]
    negatives = cells[cells["label"] == "negative"]
    positives.plot(
        ax=ax,
        column="overlap_fraction",
        cmap="Reds",
        vmin=0,
        vmax=1,
        alpha=0.55,
        edgecolor="darkred",
        linewidth=0.4,
        legend=True,
        legend_kwds={"label": "overlap fraction of positive cells", "shrink": 0.6},
    )
    if len(negatives):
        negatives.plot(ax=ax, facecolor="none", edgecolor="royalblue", linewidth=0.6)
    ax.set_title(
        f"{title}\n{len(positives)} positive cells (red), {len(negatives)} negatives (blue), "
        f"{len(near)} mining polygons (grey)",
        fontsize=10,
    )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
