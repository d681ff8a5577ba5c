"""Measured growth next to what dated mining polygons say happened.

The truth of a window is the polygons first mapped before its end, clipped to the cells; it
goes through the same per-cell accounting as the footprints (the same cells, the same
observations), so measured and true new area differ only by what the footprints got wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from minescan.growth.change import OK, cell_changes, mine_geometries
from minescan.growth.config import Window
from minescan.polygons.dated import mapped_before


def true_geometries(
    polygons: gpd.GeoDataFrame, cells: pd.DataFrame, windows: Sequence[Window]
) -> dict[str, pd.Series]:
    """Per window: the polygons first mapped before its end, per cell (see ``change``)."""
    return {w.epoch: mine_geometries(mapped_before(polygons, w.end), cells) for w in windows}


def _error_pct(measured: float, true: float) -> float:
    return float(100.0 * (measured - true) / true) if true > 0 else float("nan")


def evaluate_growth(
    measured: Mapping[str, pd.Series],
    truth: Mapping[str, pd.Series],
    observed: pd.DataFrame,
    cells: pd.DataFrame,
    windows: Sequence[Window],
    imagery: str,
) -> tuple[pd.DataFrame, dict]:
    """Per pair of windows, over the cells observed in both: true and measured new, lost and
    final area with the error in %; and the totals over every pair. ``imagery`` says what the
    footprints were made from (``SIMULATED ...`` on the synthetic backend)."""
    epochs = [w.epoch for w in windows]
    ours, _ = cell_changes(measured, observed, epochs, 0.0, cells)
    theirs, _ = cell_changes(truth, observed, epochs, 0.0, cells)
    rows = []
    for before, after in zip(epochs, epochs[1:], strict=False):
        pick = (ours["from_epoch"] == before) & (ours["status"] == OK)
        row = {"from_epoch": before, "to_epoch": after, "cells_compared": int(pick.sum())}
        for name in ("new_m2", "lost_m2", "area_from_m2", "area_to_m2"):
            true = float(theirs.loc[pick, name].sum())
            found = float(ours.loc[pick, name].sum())
            row.update({f"true_{name}": true, f"measured_{name}": found})
            if name in ("new_m2", "area_to_m2"):
                row[f"{name.removesuffix('_m2')}_error_pct"] = _error_pct(found, true)
        per_cell = (ours.loc[pick, "new_m2"] - theirs.loc[pick, "new_m2"]).abs()
        row["cell_new_mean_abs_error_m2"] = float(per_cell.mean()) if len(per_cell) else np.nan
        rows.append({**row, "imagery": imagery})
    table = pd.DataFrame(rows)
    true_new, found_new = float(table["true_new_m2"].sum()), float(table["measured_new_m2"].sum())
    summary = {
        "imagery": imagery,
        "simulated": imagery.startswith("SIMULATED"),
        "windows": {w.epoch: [w.start, w.end] for w in windows},
        "true_new_m2": true_new,
        "measured_new_m2": found_new,
        "total_new_error_pct": _error_pct(found_new, true_new),
        "note": (
            "truth: the dated polygons first mapped before each window's end, clipped to the "
            "cells observed in both windows"
        ),
    }
    return table, summary


__all__ = ["evaluate_growth", "true_geometries"]
