"""Loading chips folders: the real Amazon chips, and clear errors for bad folders."""

import numpy as np
import pandas as pd
import pytest
from fixtures.chips import tiny_chips
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.load import chip_features, geographic_split, load_chips, pixel_table
from minescan.errors import MinescanInputError
from minescan.pixelmodels.linear import fit_logistic_path


@pytest.fixture(scope="module")
def chips():
    return load_chips(CHIPS)


@pytest.mark.slow
@needs_chips
def test_t1_of_mining_emergence_is_the_only_mine(chips):
    meta = chips.meta
    assert len(meta) == 2 * 622 and chips.data.shape[1:] == (48, 48, 6)
    mines = meta[meta["mine"] == 1]
    assert (mines["time"] == "t1").all() and (mines["category"] == "mining_emergence").all()
    assert len(mines) == 434


@needs_chips
def test_all_zero_chips_are_flagged(chips):
    nodata = chips.meta[~chips.meta["valid"]]
    assert len(nodata) == 5 and (nodata["time"] == "t0").all()
    assert not chips.data[nodata.index].any()


@needs_chips
def test_geographic_split_keeps_places_together(chips):
    split = geographic_split(chips.meta, 1.0, (0.6, 0.2, 0.2), seed=42)
    per_pair = chips.meta.assign(split=split).groupby("sample_id")["split"].nunique()
    assert (per_pair == 1).all()
    for name in ("train", "validation", "test"):
        assert chips.meta["mine"][split == name].sum() > 20


@pytest.mark.slow
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


def test_tiny_folder_loads_and_counts_no_data(tmp_path, caplog):
    caplog.set_level("INFO")
    chips = load_chips(tiny_chips(tmp_path))
    assert len(chips.meta) == 12 and (~chips.meta["valid"]).sum() == 1
    assert "1 all-zero (no data) chips" in caplog.text


def test_missing_columns_are_named(tmp_path):
    folder = tiny_chips(tmp_path)
    table = pd.read_csv(folder / "chips.csv").drop(columns=["label", "longitude"])
    table.to_csv(folder / "chips.csv", index=False)
    with pytest.raises(MinescanInputError, match=r"\['label', 'longitude'\] are missing"):
        load_chips(folder)


def test_missing_images_are_named(tmp_path):
    folder = tiny_chips(tmp_path)
    (folder / "images" / "p2_t1.npy").unlink()
    with pytest.raises(MinescanInputError, match="1 image.*p2_t1.npy"):
        load_chips(folder)


def test_bad_labels_and_shapes_are_clear_errors(tmp_path):
    folder = tiny_chips(tmp_path / "a")
    table = pd.read_csv(folder / "chips.csv")
    table.loc[1, "label"] = 2
    table.to_csv(folder / "chips.csv", index=False)
    with pytest.raises(MinescanInputError, match="line 3: label '2' is not 0 or 1"):
        load_chips(folder)
    folder = tiny_chips(tmp_path / "b")
    np.save(folder / "images" / "p1_t0.npy", np.zeros((48, 48, 4), dtype=np.int16))
    with pytest.raises(MinescanInputError, match="p1_t0.npy: shape"):
        load_chips(folder)


def test_duplicate_ids_and_bad_coordinates_are_named(tmp_path):
    folder = tiny_chips(tmp_path / "a")
    table = pd.read_csv(folder / "chips.csv")
    table.loc[2, "sample_id"] = "p1"
    table.to_csv(folder / "chips.csv", index=False)
    with pytest.raises(MinescanInputError, match=r"line 4: sample_id 'p1' appears on an"):
        load_chips(folder)
    folder = tiny_chips(tmp_path / "b")
    table = pd.read_csv(folder / "chips.csv")
    table.loc[4, "latitude"] = 95.0
    table.to_csv(folder / "chips.csv", index=False)
    with pytest.raises(MinescanInputError, match=r"line 6: latitude '95.0' is not a number"):
        load_chips(folder)
