"""Spatial block folds: places stay together, every fold sees both classes."""

import numpy as np
import pandas as pd
import pytest
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.folds import block_folds, fold_roles
from minescan.chips.load import load_chips
from minescan.chips.tasks import presence_task
from minescan.errors import MinescanInputError
from minescan.pixelmodels.splits import spatial_blocks


def frame(n_blocks: int, per_block: int = 4) -> pd.DataFrame:
    lon = np.repeat(np.arange(n_blocks) * 1.0 + 0.5, per_block)
    y = np.tile([1.0, 0.0], n_blocks * per_block // 2)
    return pd.DataFrame({"longitude": lon, "latitude": 0.5, "y": y})


def test_blocks_never_straddle_folds_and_roles_partition_rows():
    table = frame(12)
    table.loc[3, "y"] = np.nan  # an unlabelled row takes its block's fold
    folds = block_folds(table, 1.0, 4, seed=1)
    blocks = spatial_blocks(table["longitude"], table["latitude"], 1.0)
    assert (pd.Series(folds).groupby(blocks).nunique() == 1).all()
    assert set(folds) == {0, 1, 2, 3}
    for test_fold in range(4):
        roles = fold_roles(folds, test_fold, 4)
        together = np.sort(np.concatenate(list(roles.values())))
        assert (together == np.arange(len(table))).all()
        assert set(folds[roles["validation"]]) == {(test_fold + 1) % 4}


def test_folds_are_seeded():
    table = frame(20)
    assert (block_folds(table, 1.0, 5, 3) == block_folds(table, 1.0, 5, 3)).all()
    assert not (block_folds(table, 1.0, 5, 3) == block_folds(table, 1.0, 5, 4)).all()


def test_too_few_blocks_or_folds_are_clear_errors():
    with pytest.raises(MinescanInputError, match="only 2 blocks"):
        block_folds(frame(2), 1.0, 3, 0)
    with pytest.raises(MinescanInputError, match="at least 3"):
        block_folds(frame(10), 1.0, 2, 0)


@pytest.mark.slow
@needs_chips
def test_real_presence_folds_each_hold_mines_and_non_mines():
    task = presence_task(load_chips(CHIPS))
    folds = block_folds(task, 1.0, 5, seed=42)
    per_fold = pd.DataFrame({"fold": folds, "y": task["y"]}).groupby("fold")["y"]
    assert (per_fold.sum() > 30).all() and ((per_fold.count() - per_fold.sum()) > 20).all()
    # both chips of a pair (and the before chip) share the fold
    assert (pd.Series(folds).groupby(task["sample_id"]).nunique() == 1).all()
