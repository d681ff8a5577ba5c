"""Spatially grouped splits and k folds (neighbouring or overlapping tiles stay together), and
region-out splits (whole latitude bands held out in turn).

Tiles are grouped by spatial block (squares of ``block_km`` on the EASE-Grid 2.0 equal-area
projection, EPSG:6933), by shard or by country; whole groups go to the held-out test set or to
one of the k folds. The detector of a dataset trains on all folds but the first and is
validated on the first (``train``/``val``); cross-validation trains once per fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from minescan.errors import MinescanInputError

GROUPINGS = ("block", "shard", "country")


def spatial_groups(tiles: pd.DataFrame, by: str, block_km: float) -> pd.Series:
    """The group of each tile (a string)."""
    if by == "block":
        to_metres = Transformer.from_crs(4326, 6933, always_xy=True)
        x, y = to_metres.transform(tiles["longitude"].to_numpy(), tiles["latitude"].to_numpy())
        size = float(block_km) * 1000.0
        ix = np.floor(np.asarray(x) / size).astype(np.int64)
        iy = np.floor(np.asarray(y) / size).astype(np.int64)
        return pd.Series([f"block_{a}_{b}" for a, b in zip(ix, iy, strict=True)], index=tiles.index)
    if by in ("shard", "country"):
        if by not in tiles or tiles[by].isna().all():
            raise MinescanInputError(
                "detection.split.by",
                f"the tiles carry no {by!r}",
                "split by block (spatial blocks work for any tiles)",
            )
        return tiles[by].fillna("unknown").astype(str)
    raise MinescanInputError(
        "detection.split.by", f"unknown grouping {by!r}", f"use one of {GROUPINGS}"
    )


def assign_splits(
    groups: pd.Series, folds: int, test_fraction: float, seed: int
) -> tuple[pd.Series, pd.Series]:
    """Per tile: its split (``train``, ``val``, ``test``) and fold (0..folds-1, -1 for test).

    Groups are shuffled (seeded) and dealt, largest first, to the part that is furthest below
    its share of tiles: the test set gets ``test_fraction``, each fold an equal share of the rest.
    """
    folds = int(folds)
    if folds < 2:
        raise MinescanInputError("detection.folds", f"{folds} folds", "use 2 or more")
    sizes = groups.value_counts()
    need = folds + (1 if test_fraction > 0 else 0)
    if len(groups) < need:
        raise MinescanInputError(
            "detection dataset",
            f"{len(groups)} tiles for {folds} folds"
            + (" and a test set" if test_fraction > 0 else ""),
            f"use at least {need} tiles or fewer folds",
        )
    if len(sizes) < need:
        raise MinescanInputError(
            "detection dataset",
            f"{len(sizes)} spatial groups for {folds} folds"
            + (" and a test set" if test_fraction > 0 else ""),
            "use smaller blocks (detection.split.block_km), another grouping, or fewer folds",
        )
    rng = np.random.default_rng(seed)
    names = np.array(sorted(sizes.index))
    rng.shuffle(names)
    order = sorted(names, key=lambda g: -sizes[g])  # stable: ties keep the shuffled order
    total = len(groups)
    targets = {"test": test_fraction * total} if test_fraction > 0 else {}
    targets.update({f: (1 - test_fraction) * total / folds for f in range(folds)})
    filled = dict.fromkeys(targets, 0.0)
    part_of = {}
    # Every part gets one group first, so no fold is empty; then fill by deficit.
    for group, part in zip(order, list(targets), strict=False):
        part_of[group] = part
        filled[part] += sizes[group]
    for group in order[len(targets) :]:
        part = max(targets, key=lambda p: (targets[p] - filled[p]) / max(targets[p], 1e-9))
        part_of[group] = part
        filled[part] += sizes[group]
    part = groups.map(part_of)
    fold = part.map(lambda p: -1 if p == "test" else int(p)).astype(int)
    split = fold.map(lambda f: "test" if f < 0 else ("val" if f == 0 else "train"))
    return split, fold


def latitude_bands(latitude: pd.Series, bands: int) -> pd.Series:
    """Band 0..bands-1 of each tile: contiguous latitude ranges with equal numbers of tiles.

    Equal counts rather than equal degrees, so that every held-out region is large enough to
    score; ties in latitude stay in one band.
    """
    bands = int(bands)
    if bands < 2:
        raise MinescanInputError("region_out.bands", f"{bands} latitude bands", "use 2 or more")
    if latitude.nunique() < bands:
        raise MinescanInputError(
            "region_out.bands",
            f"{latitude.nunique()} distinct tile latitudes for {bands} bands",
            "use fewer bands",
        )
    rank = latitude.rank(method="min").to_numpy() - 1
    return pd.Series(np.floor(rank * bands / len(latitude)).astype(int), index=latitude.index)


def region_out_split(
    latitude: pd.Series, band: pd.Series, held_out: int, gap_deg: float
) -> pd.Series:
    """Per tile: ``test`` (in the held-out band), ``train`` (other bands, at least ``gap_deg``
    of latitude away from the held-out band's edges) or ``gap`` (too close: used by neither,
    so that no training tile neighbours a test tile)."""
    inside = band == int(held_out)
    if not inside.any():
        raise MinescanInputError("region_out", f"band {held_out} holds no tiles")
    low, high = latitude[inside].min(), latitude[inside].max()
    near = (latitude >= low - gap_deg) & (latitude <= high + gap_deg)
    split = pd.Series("train", index=latitude.index)
    split[near & ~inside] = "gap"
    split[inside] = "test"
    if not (split == "train").any():
        raise MinescanInputError(
            "region_out.gap_deg",
            f"a gap of {gap_deg} degrees leaves no training tiles for band {held_out}",
            "use a smaller gap or fewer bands",
        )
    return split
