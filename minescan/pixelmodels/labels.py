"""Training targets and patches.

Two targets (config ``models.target``): ``mine``, the binary label of the pixel, and
``distance``, the seed's "how far it is from a mine": the signed distance to the nearest
polygon edge, negated and clipped to +-clip metres and scaled to [-1, 1], so +1 is deep inside
a mine, -1 is at least ``clip`` metres away and 0 is the edge. A pixel is positive for the
evaluation when it is inside a polygon either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError

TARGETS = ("mine", "distance")


def target_values(table: pd.DataFrame, target: str, distance_clip_m: float) -> np.ndarray:
    """The regression/classification target for each row, float32."""
    if target == "mine":
        return table["mine"].to_numpy(dtype=np.float32)
    if target == "distance":
        if distance_clip_m <= 0:
            raise MinescanInputError("models.distance_clip_m", "must be positive")
        d = table["distance_m"].to_numpy(dtype=np.float32)
        return np.clip(-d / np.float32(distance_clip_m), -1, 1).astype(np.float32)
    raise MinescanInputError("models.target", f"unknown target {target!r}", f"use one of {TARGETS}")


def make_patches(
    table: pd.DataFrame,
    bands: list[str],
    size: int,
    *,
    keep: tuple[str, ...] = ("cell_id", "label", "country", "climate"),
    min_fraction: float = 0.5,
) -> pd.DataFrame:
    """Aggregate pixels into non-overlapping size x size patches of each cell.

    Each patch gets the mean (``B4``) and the standard deviation (``B4_sd``) of every band,
    ``mine`` = the mean of its pixel labels (so a fractional label), ``distance_m`` = the mean
    signed distance, ``row``/``col`` of its top-left pixel, and the ``keep`` columns. Patches
    with fewer than ``min_fraction`` of their pixels valid are dropped.
    """
    if size < 1:
        raise MinescanInputError("models.patch_size", f"{size} is not a positive integer")
    table = table.assign(
        _prow=(table["row"].to_numpy() // size).astype(np.int32),
        _pcol=(table["col"].to_numpy() // size).astype(np.int32),
    )
    for b in bands:
        table[b] = table[b].astype(np.float32)
    keys = ["cell_id", "_prow", "_pcol"]
    grouped = table.groupby(keys, sort=False, observed=True)
    agg = {b: ["mean", "std"] for b in bands}
    agg["mine"] = ["mean", "size"]
    agg["distance_m"] = ["mean"]
    out = grouped.agg(agg)
    out.columns = [
        f"{c}_sd" if s == "std" else ("_n" if s == "size" else c) for c, s in out.columns
    ]
    extras = [c for c in keep if c in table.columns and c != "cell_id"]
    if extras:
        out = out.join(grouped[extras].first())
    out = out.reset_index()
    out = out[out["_n"] >= min_fraction * size * size]
    sd_cols = [f"{b}_sd" for b in bands]
    out[sd_cols] = out[sd_cols].fillna(0).astype(np.float32)
    out["row"] = (out.pop("_prow") * size).astype(np.int32)
    out["col"] = (out.pop("_pcol") * size).astype(np.int32)
    out["mine"] = out["mine"].astype(np.float32)
    return out.drop(columns="_n").reset_index(drop=True)
