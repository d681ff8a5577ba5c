"""Scatter of predicted against polygon growth per chip pair (real imagery), one panel per
scheme and model, coloured by the pair's chip category."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minescan.growth.figures import _save  # noqa: E402

HA = 1e4
COLOURS = {
    "mining_emergence": "tab:red",
    "natural_change": "tab:green",
    "human_activity": "tab:blue",
}


def plot_growth_scatter(
    pairs: pd.DataFrame, metrics: pd.DataFrame, path: str | Path, quantity: str = "new"
) -> None:
    """``pairs``: scheme, model, category, ``{quantity}_predicted`` and ``_polygons`` (m²);
    ``metrics``: the agreement table (scheme, model, quantity, pearson, spearman)."""
    panels = list(pairs.groupby(["scheme", "model"], sort=False).groups)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), squeeze=False)
    top = max(pairs[f"{quantity}_polygons"].max(), pairs[f"{quantity}_predicted"].max()) / HA
    low = min(
        0.0, pairs[f"{quantity}_predicted"].min() / HA, pairs[f"{quantity}_polygons"].min() / HA
    )
    for ax, (scheme, model) in zip(axes[0], panels, strict=True):
        part = pairs[(pairs["scheme"] == scheme) & (pairs["model"] == model)]
        for category, group in part.groupby("category"):
            ax.scatter(
                group[f"{quantity}_polygons"] / HA,
                group[f"{quantity}_predicted"] / HA,
                s=9,
                alpha=0.5,
                color=COLOURS.get(category, "grey"),
                label=f"{category} ({len(group)})",
            )
        ax.plot([low, top], [low, top], color="black", lw=0.8)
        row = metrics[
            (metrics["scheme"] == scheme)
            & (metrics["model"] == model)
            & (metrics["quantity"] == quantity)
        ]
        if len(row):
            r = row.iloc[0]
            lo, hi = r.get("pearson_lo", float("nan")), r.get("pearson_hi", float("nan"))
            ax.set_title(
                f"{model}, {scheme}\nPearson {r['pearson']:.2f} [{lo:.2f}, {hi:.2f}], "
                f"Spearman {r['spearman']:.2f}",
                fontsize=9,
            )
        ax.set_xlabel(f"polygons: {quantity} area per pair (ha)")
        ax.set_ylabel(f"predicted: {quantity} area (ha)")
        ax.set_xlim(low - 0.5, top + 0.5)
        ax.set_ylim(low - 0.5, top + 0.5)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(
        "Real Sentinel-2 chip pairs (amazon_s2_change), out-of-fold masks against "
        "Amazon Mining Watch polygons",
        fontsize=10,
    )
    _save(fig, path)
