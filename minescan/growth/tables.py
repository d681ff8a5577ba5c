"""Growth totals per country and for the whole region, from the per-cell rows.

A total sums only the cells observed in its window (areas) or in both windows (changes) and
says how many cells it left out, so an unobserved cell never reads as lost mining.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from minescan.growth.change import OK

UNKNOWN_COUNTRY = "unknown"
AREA_SUMS = ["mine_area_m2"]
CHANGE_SUMS = ["area_from_m2", "area_to_m2", "new_m2", "lost_m2", "net_m2", "new_sites"]


def _keys(cells: pd.DataFrame, region: str) -> pd.DataFrame:
    """Each cell's country (ISO3, or ``unknown``) and region."""
    country = cells["country"] if "country" in cells.columns else pd.Series(None, cells.index)
    return pd.DataFrame(
        {
            "cell_id": cells["cell_id"].astype(str).to_numpy(),
            "country": country.fillna(UNKNOWN_COUNTRY).astype(str).to_numpy(),
            "region": region,
        }
    )


def _levels(
    rows: pd.DataFrame,
    cells: pd.DataFrame,
    region: str,
    by: list[str],
    sums: list[str],
    used: pd.Series,
) -> pd.DataFrame:
    """The per-cell ``rows`` as the cell level, then summed per country and per region."""
    keyed = rows.merge(_keys(cells, region), on="cell_id", how="left")
    keyed["used"] = used.to_numpy()
    cell_level = keyed.assign(level="cell", key=keyed["cell_id"])
    cell_level["cells_used"] = cell_level["used"].astype(int)
    cell_level["cells_left_out"] = 1 - cell_level["cells_used"]
    frames = [cell_level]
    for level in ("country", "region"):
        grouped = keyed.groupby([level, *by], sort=False)
        total = grouped[sums].sum(min_count=0)
        total["cells_used"] = grouped["used"].sum().astype(int)
        total["cells_left_out"] = grouped["used"].size() - total["cells_used"]
        total = total.reset_index().rename(columns={level: "key"}).assign(level=level)
        frames.append(total)
    table = pd.concat(frames, ignore_index=True)
    front = ["level", "key", *by]
    rest = [c for c in [*sums, "cells_used", "cells_left_out", "status", "reason"] if c in table]
    return table[front + rest]


def area_table(areas: pd.DataFrame, cells: pd.DataFrame, region: str) -> pd.DataFrame:
    """Mine area per window: ``level, key, epoch, mine_area_m2, cells_used, cells_left_out``
    (plus ``reason`` at the cell level)."""
    return _levels(areas, cells, region, ["epoch"], AREA_SUMS, areas["observed"])


def change_table(changes: pd.DataFrame, cells: pd.DataFrame, region: str) -> pd.DataFrame:
    """New, lost and net area and new sites per pair of windows, per cell, country, region."""
    table = _levels(
        changes, cells, region, ["from_epoch", "to_epoch"], CHANGE_SUMS, changes["status"] == OK
    )
    table["new_sites"] = table["new_sites"].astype("Int64")
    table["status"] = table["status"].fillna(OK) if "status" in table else OK
    return table


def span_totals(changes: pd.DataFrame) -> pd.DataFrame:
    """Per cell, over all pairs of windows: new and lost area and new sites, summed (NaN for a
    cell not compared across every pair)."""
    cells = changes[changes["level"] == "cell"]
    grouped = cells.groupby("key", sort=False)
    complete = grouped["status"].apply(lambda s: bool((s == OK).all()))
    totals = grouped[["new_m2", "lost_m2", "new_sites"]].sum(min_count=1)
    totals.loc[~complete, ["new_m2", "lost_m2", "new_sites"]] = np.nan
    return totals.assign(compared=complete).rename_axis("cell_id").reset_index()


__all__ = ["area_table", "change_table", "span_totals"]
