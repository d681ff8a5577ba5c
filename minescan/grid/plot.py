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
    """Cells touching the polygons in red (shade: overlap), the others outlined in blue."""
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    xmin, ymin, xmax, ymax = cells.total_bounds
    near = polygons.cx[xmin:xmax, ymin:ymax]
    near.plot(ax=ax, color="0.25", linewidth=0)
    touching = cells[(cells["label"] != "negative") & (cells["overlap_fraction"] > 0)]
    others = cells.drop(touching.index)
    if len(touching):
        touching.plot(
            ax=ax,
            column="overlap_fraction",
            cmap="Reds",
            vmin=0,
            vmax=1,
            alpha=0.55,
            edgecolor="darkred",
            linewidth=0.4,
            legend=True,
            legend_kwds={"label": "overlap fraction with mining polygons", "shrink": 0.6},
        )
    if len(others):
        others.plot(ax=ax, facecolor="none", edgecolor="royalblue", linewidth=0.6)
    if (cells["label"] == "region").any():
        counts = f"{len(cells)} land cells: {len(touching)} touch mining polygons (red)"
    else:
        counts = f"{len(touching)} positive cells (red), {len(others)} negatives (blue)"
    ax.set_title(f"{title}\n{counts}, {len(near)} mining polygons (grey)", fontsize=10)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
