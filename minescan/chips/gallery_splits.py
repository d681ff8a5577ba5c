"""Honest splits of single-date gallery chips: never a place in two parts.

- Block CV: located chips by blocks of ``block_deg`` degrees, unlocated ones by their
  sampling (``place`` of ``minescan.chips.gallery``), drawn by ``StratifiedGroupKFold``.
- Region-out: located chips by bands of longitude of about equal numbers of places, each held
  out in turn, with a buffer of ``buffer_deg`` degrees kept out of training; unlocated samplings
  are dealt to the regions (largest first, to the region with the fewest chips of that label),
  so every held-out region also holds negatives from samplings never seen in training.
- Validation (early stopping, thresholds): a share of the training places, never a test place.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from minescan.chips.folds import buffer_mask, region_edges
from minescan.chips.gallery import PLACE_DEG
from minescan.errors import MinescanInputError
from minescan.pixelmodels.splits import spatial_blocks

LOG = logging.getLogger(__name__)
AXES = ("longitude", "latitude")


def block_groups(meta: pd.DataFrame, block_deg: float) -> np.ndarray:
    """A group per chip: its block where located, its sampling (``place``) otherwise."""
    located = meta["longitude"].notna().to_numpy()
    # blocks of the places' rounded centres, so that a place never straddles a block edge
    lon, lat = (np.round(meta[c].fillna(0).to_numpy() / PLACE_DEG) * PLACE_DEG for c in AXES)
    blocks = spatial_blocks(lon, lat, block_deg)
    return np.where(located, np.char.add("block:", blocks), meta["place"].to_numpy())


def gallery_block_folds(meta: pd.DataFrame, k: int, block_deg: float, seed: int) -> np.ndarray:
    groups = block_groups(meta, block_deg)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = np.empty(len(meta), dtype=np.int64)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(meta)), meta["label"], groups)):
        folds[test] = fold
    return folds


def gallery_region_folds(
    meta: pd.DataFrame, regions: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The region of every chip (0..regions-1, west to east for located chips) and the
    longitude edges of the bands."""
    located = meta["longitude"].notna().to_numpy()
    if located.sum() < 2 * regions:
        raise MinescanInputError(
            "chips.gallery.region_out",
            f"{int(located.sum())} located chips for {regions} regions",
            "region-out needs located chips (longitude, latitude) in several places",
        )
    lon = meta["longitude"].to_numpy(dtype=float)
    edges = region_edges(lon[located], regions)
    folds = np.full(len(meta), -1, dtype=np.int64)
    folds[located] = np.searchsorted(edges, lon[located], side="right")
    # deal the unlocated samplings, largest first, to the region with fewest of their label
    rng = np.random.default_rng(seed)
    unlocated = meta.loc[~located, ["place", "label"]]
    sizes = unlocated.groupby("place").agg(n=("label", "size"), label=("label", "max"))
    sizes = sizes.iloc[rng.permutation(len(sizes))].sort_values("n", ascending=False, kind="stable")
    counts = np.zeros((2, regions))
    for label in (0, 1):
        counts[label] = np.bincount(
            folds[located & (meta["label"].to_numpy() == label)], minlength=regions
        )
    assigned = {}
    for place, row in sizes.iterrows():
        region = int(np.argmin(counts[int(row["label"])]))
        assigned[place] = region
        counts[int(row["label"]), region] += row["n"]
    folds[~located] = unlocated["place"].map(assigned).to_numpy()
    summary = pd.DataFrame({"region": folds, "y": meta["label"], "located": located})
    LOG.info(
        "%d gallery regions (longitude edges %s):\n%s",
        regions,
        np.round(edges, 2).tolist(),
        summary.groupby("region")
        .agg(chips=("y", "size"), mining=("y", "sum"), located=("located", "sum"))
        .to_string(),
    )
    return folds, edges


def validation_places(
    meta: pd.DataFrame, rows: np.ndarray, share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` split into training and validation rows by whole places (about ``share`` of
    the chips in validation, both labels represented)."""
    groups = block_groups(meta.iloc[rows], 0.5)
    places = len(np.unique(groups))
    if places < 2:
        raise MinescanInputError(
            "chips.gallery",
            f"the {len(rows)} training chips lie in one place",
            "validation needs chips of two places or more (located, or of two samplings)",
        )
    k = min(places, max(2, round(1 / share)))
    y = meta["label"].to_numpy()[rows]
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    # of the k candidate parts, the one closest to ``share`` of the chips and of the mining
    # ones (a sampling of a thousand chips is one group and must not become the validation)
    best, chosen = np.inf, None
    for train, validation in splitter.split(np.zeros(len(rows)), y, groups):
        miss = abs(len(validation) / len(rows) - share) + abs(y[validation].sum() / y.sum() - share)
        if miss < best:
            best, chosen = miss, (rows[train], rows[validation])
    return chosen


def region_roles(
    meta: pd.DataFrame, folds: np.ndarray, test: int, buffer_deg: float, share: float, seed: int
) -> dict[str, np.ndarray]:
    """Train, validation and test rows for held-out region ``test``; located chips within
    ``buffer_deg`` of the held-out band are used by neither training nor validation."""
    lon = meta["longitude"].to_numpy(dtype=float)
    located = ~np.isnan(lon)
    near = np.zeros(len(meta), dtype=bool)
    near[located] = buffer_mask(lon[located], folds[located], test, buffer_deg)
    rest = np.flatnonzero((folds != test) & ~near)
    train, validation = validation_places(meta, rest, share, seed)
    return {"train": train, "validation": validation, "test": np.flatnonzero(folds == test)}


def block_roles(
    meta: pd.DataFrame, folds: np.ndarray, test: int, share: float, seed: int
) -> dict[str, np.ndarray]:
    rest = np.flatnonzero(folds != test)
    train, validation = validation_places(meta, rest, share, seed)
    return {"train": train, "validation": validation, "test": np.flatnonzero(folds == test)}
