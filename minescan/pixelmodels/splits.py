"""Grouped splits: all rows of one group (a cell, a country, a climate class, a block of
degrees) land in the same split, so held-out figures are about unseen places."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError

LOG = logging.getLogger(__name__)
SPLITS = ("train", "validation", "test")
GROUP_COLUMNS = {"cell": "cell_id", "country": "country", "climate": "climate"}


def assign_groups(
    groups: np.ndarray,
    fractions: tuple[float, float, float],
    seed: int,
    strata: np.ndarray | None = None,
) -> np.ndarray:
    """Split label ('train'/'validation'/'test') for every row, whole groups at a time.

    Groups are shuffled with ``seed`` and cut by their cumulative share of groups; with
    ``strata`` (one value per row, constant within a group, e.g. the cell's positive/negative
    label) each stratum is cut separately so every split gets positives and negatives.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1):
        raise MinescanInputError(
            "models.split.fractions", f"{fractions} are not three shares summing to 1"
        )
    groups = np.asarray(groups)
    uniq, inverse = np.unique(groups, return_inverse=True)
    if strata is None:
        group_stratum = np.zeros(len(uniq), dtype=np.int64)
    else:
        strata = np.asarray(strata)
        first = np.full(len(uniq), -1, dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(groups))[::-1]
        group_stratum = np.unique(strata[first], return_inverse=True)[1]
    rng = np.random.default_rng(seed)
    group_split = np.empty(len(uniq), dtype=np.int64)
    for s in np.unique(group_stratum):
        idx = np.flatnonzero(group_stratum == s)
        idx = idx[rng.permutation(len(idx))]
        counts = split_counts(len(idx), fractions)
        group_split[idx] = np.repeat(np.arange(3), counts)
    return np.asarray(SPLITS, dtype=object)[group_split[inverse]]


def split_counts(n: int, fractions: tuple[float, float, float]) -> np.ndarray:
    """Groups per split: rounded shares, at least one group for every non-empty share of a
    stratum with three or more groups (small strata still reach validation and test)."""
    counts = np.floor(np.asarray(fractions) * n).astype(np.int64)
    remainder = np.asarray(fractions) * n - counts
    for i in np.argsort(-remainder)[: n - counts.sum()]:
        counts[i] += 1
    if n >= 3:
        for i in (1, 2):
            if fractions[i] > 0 and counts[i] == 0:
                counts[i] = 1
                counts[int(np.argmax(counts))] -= 1
    return counts


def split_table(
    table: pd.DataFrame,
    by: str,
    fractions: tuple[float, float, float],
    seed: int,
) -> np.ndarray:
    """Split labels for a pixel table, grouped by cell or by a metadata column.

    Splitting by metadata needs at least three distinct values; with fewer the split falls
    back to cells and says so in the log (the embedded demo covers one country).
    """
    if by not in GROUP_COLUMNS:
        raise MinescanInputError(
            "models.split.by", f"unknown grouping {by!r}", f"use one of {sorted(GROUP_COLUMNS)}"
        )
    column = GROUP_COLUMNS[by]
    if column not in table.columns:
        raise MinescanInputError("pixel table", f"column {column!r} needed by split.by={by}")
    groups = table[column].astype(str).to_numpy()
    if by != "cell" and len(np.unique(groups)) < 3:
        LOG.warning(
            "split.by=%s: only %d distinct value(s) %s; splitting by cell instead",
            by,
            len(np.unique(groups)),
            sorted(np.unique(groups))[:5],
        )
        return split_table(table, "cell", fractions, seed)
    strata = table["label"].astype(str).to_numpy() if by == "cell" and "label" in table else None
    out = assign_groups(groups, fractions, seed, strata)
    for name in SPLITS:
        n_groups = len(np.unique(groups[out == name]))
        LOG.info("split %s: %d rows, %d %s groups", name, int((out == name).sum()), n_groups, by)
    return out


def spatial_blocks(lon: np.ndarray, lat: np.ndarray, size_deg: float) -> np.ndarray:
    """A block id per point: the size_deg x size_deg degree square it falls in."""
    if size_deg <= 0:
        raise MinescanInputError("models.chips.block_deg", "must be positive")
    ix = np.floor(np.asarray(lon) / size_deg).astype(np.int64)
    iy = np.floor(np.asarray(lat) / size_deg).astype(np.int64)
    return np.char.add(np.char.add(ix.astype(str), "_"), iy.astype(str))
