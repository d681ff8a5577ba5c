"""The real Amazon Sentinel-2 chips: labels, geographic split, a mine signal in the pixels."""

import numpy as np
import pytest
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.load import chip_features, geographic_split, load_chips, pixel_table
from minescan.errors import MinescanInputError
from minescan.pixelmodels.linear import fit_logistic_path


@pytest.fixture(scope="module")
def chips():
    return load_chips(CHIPS)


@needs_chips
def test_t1_of_mining_emergence_is_the_only_mine(chips):
    meta = chips.meta
    assert len(meta) == 2 * 622 and chips.data.shape[1:] == (48, 48, 6)
    mines = meta[meta["mine"] == 1]
    assert (mines["time"] == "t1").all() and (mines["category"] == "mining_emergence").all()
    assert len(mines) == 434


@needs_chips
def test_geographic_split_keeps_places_together(chips):
    split = geographic_split(chips.meta, 1.0, (0.6, 0.2, 0.2), seed=42)
    per_pair = chips.meta.assign(split=split).groupby("sample_id")["split"].nunique()
    assert (per_pair == 1).all()
    for name in ("train", "validation", "test"):
        assert chips.meta["mine"][split == name].sum() > 20


@needs_chips
def test_pixels_carry_a_mine_signal_on_held_out_blocks(chips):
    split = geographic_split(chips.meta, 1.0, (0.6, 0.2, 0.2), seed=42)
    features = chip_features()
    train = np.flatnonzero(split == "train")
    test = np.flatnonzero(split == "test")
    Xtr, ytr, _ = pixel_table(chips, train, features, 32, seed=0)
    Xte, yte, _ = pixel_table(chips, test, features, 64, seed=0)
    path = fit_logistic_path(Xtr, ytr, Xte, yte, [f.name for f in features], n_lambdas=6)
    best = path.scores["pr_auc"].max()
    assert best > yte.mean() + 0.03  # better than the share of mine pixels


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(MinescanInputError, match="chips.csv"):
        load_chips(tmp_path)
