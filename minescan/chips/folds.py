"""Spatial block cross-validation: whole blocks of ``block_deg`` degrees go to one fold.

Folds are drawn by scikit-learn's ``StratifiedGroupKFold`` (groups: the blocks, so both chips
of a pair and every chip of one block share a fold; strata: the label, so each fold sees
mines). For test fold ``i`` the models train on the other folds but one, the validation fold
``(i + 1) % k``: early stopping, the lambda of the linear paths and the decision threshold are
chosen there, never on the test fold.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from minescan.errors import MinescanInputError
from minescan.pixelmodels.splits import spatial_blocks

LOG = logging.getLogger(__name__)


def block_folds(frame: pd.DataFrame, block_deg: float, k: int, seed: int) -> np.ndarray:
    """A fold (0..k-1) per row of a task frame (``longitude``, ``latitude``, ``y``; rows with
    ``y`` NaN take the fold of their block)."""
    if k < 3:
        raise MinescanInputError("chips.folds", f"{k} folds; at least 3 are needed", "set >= 3")
    blocks = spatial_blocks(frame["longitude"].to_numpy(), frame["latitude"].to_numpy(), block_deg)
    labelled = frame["y"].notna().to_numpy()
    n_blocks = len(np.unique(blocks[labelled]))
    if n_blocks < k:
        raise MinescanInputError(
            "chips.block_deg",
            f"only {n_blocks} blocks of {block_deg} degrees hold labelled chips, fewer than "
            f"{k} folds",
            "use smaller blocks or fewer folds",
        )
    y = frame["y"].to_numpy()[labelled].astype(int)
    if len(np.unique(y)) < 2:
        raise MinescanInputError("chips.csv", "the task has one class only", "add both labels")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    block_fold: dict[str, int] = {}
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y, blocks[labelled])):
        block_fold.update(dict.fromkeys(blocks[labelled][test], fold))
    rng = np.random.default_rng(seed)
    orphans = sorted(set(blocks) - set(block_fold))
    block_fold.update(zip(orphans, rng.integers(0, k, len(orphans)).tolist(), strict=True))
    folds = np.array([block_fold[b] for b in blocks], dtype=np.int64)
    summary = pd.DataFrame({"fold": folds, "y": frame["y"].to_numpy(), "block": blocks})
    LOG.info(
        "%d folds of %g degree blocks:\n%s",
        k,
        block_deg,
        summary.groupby("fold")
        .agg(rows=("y", "size"), positives=("y", "sum"), blocks=("block", "nunique"))
        .to_string(),
    )
    return folds


def fold_roles(folds: np.ndarray, test_fold: int, k: int) -> dict[str, np.ndarray]:
    """Row positions of the train, validation and test parts for one test fold."""
    validation = (test_fold + 1) % k
    return {
        "train": np.flatnonzero((folds != test_fold) & (folds != validation)),
        "validation": np.flatnonzero(folds == validation),
        "test": np.flatnonzero(folds == test_fold),
    }
