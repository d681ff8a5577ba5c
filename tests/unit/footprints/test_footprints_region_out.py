"""Region-out splits: whole latitude bands held out, far from the tiles that train."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minescan.errors import MinescanInputError
from minescan.ml.splits import latitude_bands, region_out_split


@pytest.fixture
def latitude():
    rng = np.random.default_rng(1)
    return pd.Series(rng.uniform(-25, -10, 90))


def test_bands_are_contiguous_latitude_ranges_of_equal_counts(latitude):
    band = latitude_bands(latitude, 3)
    assert band.value_counts().tolist() == [30, 30, 30]
    ranges = [(latitude[band == b].min(), latitude[band == b].max()) for b in range(3)]
    assert ranges[0][1] < ranges[1][0] and ranges[1][1] < ranges[2][0]


@pytest.mark.parametrize("held_out", [0, 1, 2])
def test_no_training_tile_lies_within_the_gap_of_the_held_out_band(latitude, held_out):
    band = latitude_bands(latitude, 3)
    split = region_out_split(latitude, band, held_out, gap_deg=0.5)
    test, train = latitude[split == "test"], latitude[split == "train"]
    assert set(band[split == "test"]) == {held_out}
    assert len(test) == 30 and len(train) > 0
    distance = np.abs(train.to_numpy()[:, None] - test.to_numpy()[None, :]).min()
    assert distance > 0.5
    assert set(split) <= {"train", "test", "gap"}


def test_a_gap_that_leaves_nothing_to_train_on_is_refused(latitude):
    band = latitude_bands(latitude, 2)
    with pytest.raises(MinescanInputError, match="region_out.gap_deg"):
        region_out_split(latitude, band, 0, gap_deg=30)


def test_fewer_latitudes_than_bands_is_refused():
    with pytest.raises(MinescanInputError, match="region_out.bands"):
        latitude_bands(pd.Series([-10.0, -10.0, -12.0]), 3)
