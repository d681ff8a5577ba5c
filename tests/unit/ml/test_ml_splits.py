"""Spatially grouped splits and folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minescan.errors import MinescanInputError
from minescan.ml.splits import assign_splits, spatial_groups


def tiles(count: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "longitude": rng.uniform(110, 120, count),
            "latitude": rng.uniform(-3, 3, count),
            "shard": [f"s{i % 7}" for i in range(count)],
            "country": ["IDN"] * count,
        }
    )


def test_neighbouring_tiles_share_a_block_and_never_straddle_splits():
    table = tiles(200)
    # Overlapping tiles: copies of the first 20 shifted by 100 m.
    shifted = table.iloc[:20].assign(longitude=lambda t: t.longitude + 0.0009)
    table = pd.concat([table, shifted], ignore_index=True)
    groups = spatial_groups(table, "block", 50)
    assert (groups.iloc[:20].to_numpy() == groups.iloc[200:].to_numpy()).mean() > 0.9
    split, fold = assign_splits(groups, folds=4, test_fraction=0.2, seed=0)
    per_group = pd.DataFrame({"group": groups, "fold": fold}).groupby("group")["fold"].nunique()
    assert (per_group == 1).all()
    assert set(split) == {"train", "val", "test"} and set(fold) == {-1, 0, 1, 2, 3}
    assert 0.1 < (split == "test").mean() < 0.3
    assert ((split == "val") == (fold == 0)).all()


def test_splits_are_seeded():
    groups = spatial_groups(tiles(100), "shard", 10)
    assert assign_splits(groups, 3, 0.2, 1)[1].equals(assign_splits(groups, 3, 0.2, 1)[1])


def test_fewer_tiles_than_folds_is_a_clear_error():
    groups = spatial_groups(tiles(4), "block", 10)
    with pytest.raises(MinescanInputError, match="4 tiles for 5 folds and a test set"):
        assign_splits(groups, folds=5, test_fraction=0.2, seed=0)


def test_too_few_groups_for_the_folds_is_a_clear_error():
    groups = spatial_groups(tiles(50), "country", 10)
    with pytest.raises(MinescanInputError, match="1 spatial groups for 2 folds"):
        assign_splits(groups, folds=2, test_fraction=0.0, seed=0)
