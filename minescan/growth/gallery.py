"""Before and after: the cells that grew most, in true colour at every window, with each
window's footprints outlined (PNG for the report).

A cell's windows share one colour stretch, so a pixel that did not change looks the same in
every window and new mining stands out as new colour, not as a new stretch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import shapely

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402
from minescan.imagery.tile import read_tile  # noqa: E402

RGB = ("B4", "B3", "B2")
PERCENTILES = (2, 98)


def joint_stretch(stacks: Sequence[np.ndarray], valids: Sequence[np.ndarray]) -> list:
    """Each (band, row, col) stack as an RGB float image in [0, 1], with per-band limits from
    the valid pixels of all stacks together."""
    images = []
    for band in range(stacks[0].shape[0]):
        values = np.concatenate([s[band][v] for s, v in zip(stacks, valids, strict=True)])
        low, high = np.percentile(values, PERCENTILES) if len(values) else (0.0, 1.0)
        for index, stack in enumerate(stacks):
            scaled = np.clip((stack[band] - low) / max(high - low, 1.0), 0, 1)
            if band == 0:
                images.append(np.zeros((*stack.shape[1:], 3)))
            images[index][..., band] = scaled
    return images


def find_tile(folders: Sequence[str | Path], cell_id: str) -> Path | None:
    """The cell's tile among a window's shard folders (None: no tile, e.g. not observed)."""
    for folder in folders:
        path = Path(folder) / f"{cell_id}.tif"
        if path.exists():
            return path
    return None


def top_cells(cells: gpd.GeoDataFrame, count: int) -> list[str]:
    """The compared cells with the most new area over all windows, most first."""
    per_cell = cells.groupby("cell_id", sort=False)
    new = per_cell["new_m2"].sum(min_count=1)
    complete = per_cell["status"].apply(lambda s: bool((s == "ok").all()))
    ranked = new[complete & (new > 0)].sort_values(ascending=False)
    return [str(c) for c in ranked.index[:count]]


def plot_growth_gallery(
    cells: gpd.GeoDataFrame,
    tiles: Mapping[str, Sequence[str | Path]],
    footprints: Mapping[str, gpd.GeoDataFrame],
    title: str,
    path: str | Path,
    count: int = 3,
) -> list[str]:
    """Rows: the ``count`` cells that grew most; columns: the windows in time order."""
    chosen = top_cells(cells, count)
    epochs = list(tiles)
    rows = max(len(chosen), 1)
    fig, axes = plt.subplots(rows, len(epochs), figsize=(3.2 * len(epochs), 3.3 * rows), dpi=100)
    axes = np.atleast_2d(axes)
    for ax in axes.ravel():
        ax.set_axis_off()
    for row, cell_id in enumerate(chosen):
        found = {e: find_tile(tiles[e], cell_id) for e in epochs}
        read = {e: read_tile(p, RGB) for e, p in found.items() if p is not None}
        images = joint_stretch([t.data for t in read.values()], [t.valid for t in read.values()])
        new = cells[cells["cell_id"] == cell_id]["new_m2"].sum() / 1e4
        for column, epoch in enumerate(epochs):
            ax = axes[row, column]
            ax.set_title(
                f"{epoch}" + (f"  {cell_id}, +{new:.0f} ha" if column == 0 else ""),
                fontsize=8,
                loc="left",
            )
            if epoch not in read:
                continue
            tile = read[epoch]
            ax.imshow(images[list(read).index(epoch)])
            outlines = footprints[epoch].to_crs(tile.crs)
            left, top = tile.transform * (0, 0)
            right, bottom = tile.transform * (tile.data.shape[2], tile.data.shape[1])
            outlines = outlines.cx[left:right, bottom:top]
            inverse = ~tile.transform
            for geometry in outlines.geometry:
                for part in shapely.get_parts(geometry):
                    for ring in (part.exterior, *part.interiors):
                        cols, rows_ = inverse * np.asarray(ring.coords).T
                        ax.plot(cols - 0.5, rows_ - 0.5, color="red", linewidth=0.6)
            ax.set_xlim(-0.5, tile.data.shape[2] - 0.5)
            ax.set_ylim(tile.data.shape[1] - 0.5, -0.5)
    if not chosen:
        axes[0, 0].text(0.5, 0.5, "no cell grew", ha="center", transform=axes[0, 0].transAxes)
    fig.suptitle(f"{title}\nthe cells that grew most; footprints of each window in red", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return chosen


__all__ = ["find_tile", "joint_stretch", "plot_growth_gallery", "top_cells"]
