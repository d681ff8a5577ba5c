"""The growth map (new area per cell, footprints of the first and last windows, new sites) and
the plot of mine area over time next to the dated polygons' (PNG for the report)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402
from minescan.growth.gallery import plot_growth_gallery  # noqa: E402
from minescan.growth.steps import read_footprints  # noqa: E402

KM2 = 1e6
HA = 1e4


def _save(fig: plt.Figure, path: str | Path) -> None:
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def plot_growth_map(
    cells: gpd.GeoDataFrame,
    first: gpd.GeoDataFrame,
    last: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    epochs: Sequence[str],
    title: str,
    path: str | Path,
) -> None:
    """Cells shaded by their new area from the first to the last window (hatched: not compared
    across every window), footprints of both windows, new sites outlined."""
    per_cell = cells.groupby("cell_id", sort=False)
    span = per_cell[["new_m2"]].sum(min_count=1)
    span["compared"] = per_cell["status"].apply(lambda s: bool((s == "ok").all()))
    shapes = cells.drop_duplicates("cell_id").set_index("cell_id")[["geometry"]]
    span = gpd.GeoDataFrame(shapes.join(span), geometry="geometry", crs=cells.crs)
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    compared = span[span["compared"]]
    if len(compared):
        compared.assign(new_ha=compared["new_m2"] / HA).plot(
            ax=ax,
            column="new_ha",
            cmap="YlOrRd",
            vmin=0,
            alpha=0.6,
            edgecolor="0.4",
            linewidth=0.4,
            legend=True,
            legend_kwds={"label": f"new mine area {epochs[0]} -> {epochs[-1]} (ha)", "shrink": 0.6},
        )
    missing = span[~span["compared"]]
    if len(missing):
        missing.plot(ax=ax, facecolor="none", edgecolor="0.3", hatch="//", linewidth=0.4)
    if len(first):
        first.plot(ax=ax, color="0.35", linewidth=0, alpha=0.8)
    if len(last):
        last.plot(ax=ax, facecolor="none", edgecolor="crimson", linewidth=0.6)
    if len(sites):
        sites.plot(ax=ax, facecolor="none", edgecolor="royalblue", linewidth=1.4)
    ax.set_title(
        f"{title}\nfootprints {epochs[0]} (grey), {epochs[-1]} (red outline); "
        f"{len(sites)} new sites (blue); hatched: a window without a clear observation",
        fontsize=9,
    )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal")
    _save(fig, path)


def plot_area_over_time(
    areas: pd.DataFrame, evaluation: pd.DataFrame, epochs: Sequence[str], title: str, path
) -> None:
    """Measured mine area of the region per window with the dated polygons' area, and the new
    area between windows, measured and true, with the error."""
    region = areas[areas["level"] == "region"].set_index("epoch").reindex(list(epochs))
    true = [evaluation["true_area_from_m2"].iloc[0], *evaluation["true_area_to_m2"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110)
    at = range(len(epochs))  # windows as positions: names like "2019" are no numbers here
    left.plot(at, [t / KM2 for t in true], "s-", color="0.6", lw=4, label="dated polygons")
    left.plot(at, region["mine_area_m2"] / KM2, "o--", color="crimson", label="measured")
    left.set_xticks(list(at), list(epochs))
    left.set_ylabel("mine area (km²)")
    left.set_xlabel("date window")
    left.set_ylim(bottom=0)
    left.legend()
    pairs = [
        f"{a}->{b}" for a, b in zip(evaluation["from_epoch"], evaluation["to_epoch"], strict=True)
    ]
    x = range(len(pairs))
    right.bar([i - 0.2 for i in x], evaluation["measured_new_m2"] / KM2, 0.4, color="crimson")
    right.bar([i + 0.2 for i in x], evaluation["true_new_m2"] / KM2, 0.4, color="0.5")
    for i, row in zip(x, evaluation.itertuples(), strict=True):
        right.annotate(
            f"{row.new_error_pct:+.1f} %",
            (i, max(row.measured_new_m2, row.true_new_m2) / KM2),
            ha="center",
            va="bottom",
            fontsize=9,
        )
    right.set_xticks(list(x), pairs)
    right.set_ylabel("new mine area (km²)")
    right.legend(["measured", "dated polygons"])
    fig.suptitle(title, fontsize=10)
    _save(fig, path)


def growth_figures_step(
    *,
    cells: str,
    new_sites: str,
    areas: str,
    evaluation: str,
    footprints: Sequence[str],
    tiles: Mapping[str, Sequence[str]],
    epochs: Sequence[str],
    region: str,
    imagery: str,
    map_png: str,
    area_png: str,
    gallery_png: str,
) -> None:
    """The growth map, the plot of area over time and the before/after gallery."""
    title = f"minescan growth, {region}: {imagery}"
    found = {e: read_footprints(p, e) for e, p in zip(epochs, footprints, strict=True)}
    first, last = found[epochs[0]], found[epochs[-1]]
    table = gpd.read_parquet(cells)
    plot_growth_map(table, first, last, gpd.read_parquet(new_sites), epochs, title, map_png)
    plot_growth_gallery(table, {e: tiles[e] for e in epochs}, found, title, gallery_png)
    plot_area_over_time(
        pd.read_csv(areas, dtype={"key": str, "epoch": str}),
        pd.read_csv(evaluation, dtype={"from_epoch": str, "to_epoch": str}),
        epochs,
        title,
        area_png,
    )


__all__ = ["growth_figures_step", "plot_area_over_time", "plot_growth_map"]
