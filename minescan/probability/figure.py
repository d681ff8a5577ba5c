"""The probability stage's figure for the report: per-cell scores against the true mine share,
and the probability rasters of the cells that matter most (the best-found positives and the
negatives that look most like mines)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import rasterio  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402

COLOURS = {"positive": "#d32f2f", "negative": "#1976d2"}
# Probability rasters store probability x 250 in uint8; 255 is no data.
SCALE, NODATA = 250.0, 255


def _raster(path: str | Path) -> np.ndarray:
    with rasterio.open(path) as src:
        data = src.read(1)
    return np.ma.masked_equal(data, NODATA) / SCALE


def probability_figure(
    scores: str | Path, cells: str | Path, out: str | Path, simulated: bool, examples: int = 2
) -> None:
    table = pd.read_parquet(scores).merge(
        pd.read_parquet(cells, columns=["cell_id", "name", "label"]), on="cell_id"
    )
    positives = table[table["label"] == "positive"].nlargest(examples, "detected_fraction")
    negatives = table[table["label"] == "negative"].nlargest(examples, "detected_fraction")
    shown = pd.concat([positives, negatives])
    figure = plt.figure(figsize=(4 + 2.6 * len(shown), 4))
    grid = figure.add_gridspec(1, 1 + len(shown), width_ratios=[1.6] + [1] * len(shown))
    axes = figure.add_subplot(grid[0])
    for label, part in table.groupby("label"):
        axes.scatter(
            part["mine_fraction"],
            part["detected_fraction"],
            s=14,
            alpha=0.7,
            color=COLOURS.get(label, "grey"),
            label=f"{label} ({len(part)})",
        )
    axes.plot([0, 1], [0, 1], color="black", linewidth=0.6, linestyle=":")
    axes.set_xlabel("mine share of the cell (polygons)")
    axes.set_ylabel("share above the model's threshold")
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.legend(loc="upper left", fontsize=8)
    axes.set_title("per-cell scores" + (" (SIMULATED imagery)" if simulated else ""), fontsize=9)
    for i, row in enumerate(shown.itertuples()):
        ax = figure.add_subplot(grid[i + 1])
        image = ax.imshow(_raster(row.probability_path), vmin=0, vmax=1, cmap="magma")
        ax.set_title(f"{row.label}\n{row.name}\nabove: {row.detected_fraction:.2f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.colorbar(image, ax=figure.axes[1:], shrink=0.7, label="mine probability")
    with atomic_path(out) as tmp:
        figure.savefig(tmp, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
