"""Training copes with few mine pixels: chips find the mines, the loss ignores no data, and a
tiny network learns bright square "mines" from a labelled folder, reproducibly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures.detection import labelled_folder

from minescan.footprints.model import load_segmenter
from minescan.footprints.steps import train
from minescan.footprints.train import chip_origin, dice_focal_loss
from minescan.ml.tile_tables import tile_table_from_folder

TINY = {
    "arch": "unet",
    "encoder": "tu-mobilenetv3_small_050",
    "encoder_depth": 3,
    "chip_px": 64,
    "chips_per_tile": 2,
    "batch": 8,
    "epochs": 3,
    "learning_rate": 0.01,
    "window_px": 64,
    "overlap_px": 16,
    "seed": 0,
}
SPLIT = {"split_by": "block", "block_km": 20, "folds": 2, "test_fraction": 0.2, "seed": 0}


def test_positive_chips_contain_a_mine_pixel_even_when_mines_are_rare():
    rng = np.random.default_rng(0)
    mine = np.zeros((448, 448), dtype=bool)
    mine[300:310, 40:50] = True  # 0.05 % of the tile
    for _ in range(200):
        y, x = chip_origin(rng, mine, 64, positive_fraction=1.0)
        assert 0 <= y <= 384 and 0 <= x <= 384
        assert mine[y : y + 64, x : x + 64].any()


def test_uniform_chips_stay_inside_the_tile():
    rng = np.random.default_rng(0)
    mine = np.zeros((100, 80), dtype=bool)
    corners = {chip_origin(rng, mine, 64, positive_fraction=1.0) for _ in range(100)}
    assert all(0 <= y <= 36 and 0 <= x <= 16 for y, x in corners)


def test_the_loss_ignores_no_data_and_rewards_the_right_answer():
    target = torch.zeros(1, 8, 8)
    target[0, :4] = 1
    valid = torch.ones(1, 8, 8, dtype=torch.bool)
    right = torch.where(target > 0, 8.0, -8.0)
    wrong = -right
    assert dice_focal_loss(right, target, valid, 1.0, 2.0) < 0.05
    assert dice_focal_loss(wrong, target, valid, 1.0, 2.0) > 0.9
    # Wrong where there is no data costs nothing.
    valid[0, 4:] = False
    half = right.clone()
    half[0, 4:] = 8.0
    assert dice_focal_loss(half, target, valid, 1.0, 2.0) == pytest.approx(
        float(dice_focal_loss(right, target, valid, 1.0, 2.0)), abs=1e-6
    )


def run(tmp_path, folder, name):
    out = tmp_path / name
    summary = train(
        tiles=tile_table_from_folder(folder),
        model_out=str(out / "model.pt"),
        table_out=str(out / "tiles.csv"),
        summary_out=str(out / "summary.json"),
        curves_out=str(out / "curves.png"),
        history_out=str(out / "history.csv"),
        channels=["B4", "B3", "B2"],
        split=SPLIT,
        val_folds=3,
        percentiles=[1, 99],
        min_object_pixels=4,
        options=TINY,
        provenance={},
    )
    return out, summary


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_training_learns_the_mines_keeps_the_test_tiles_out_and_is_seeded(tmp_path):
    torch.set_num_threads(1)
    folder = labelled_folder(tmp_path / "tiles", count=16, size=64)
    out, summary = run(tmp_path, folder, "a")
    table = pd.read_csv(out / "tiles.csv")
    assert set(table["role"]) == {"train", "val", "test"}
    assert (table.loc[table["role"] == "test", "split"] == "test").all()
    assert summary["val_iou"] > 0.3  # bright squares on dark ground: learnable in 3 epochs
    history = pd.read_csv(out / "history.csv")
    assert len(history) == 3 and (out / "curves.png").stat().st_size > 0
    model = load_segmenter(out / "model.pt", ["B4", "B3", "B2"])
    assert model.threshold == summary["threshold"]
    # The default rule: the threshold at which the validation tiles' predicted mine area is
    # their labelled area (ties between equal probabilities may add a few pixels).
    assert summary["threshold_rule"] == "unbiased"
    assert 1.0 <= summary["val_area_ratio"] < 1.05
    _, again = run(tmp_path, folder, "b")
    assert again["val_iou"] == summary["val_iou"]
    assert json.loads((out / "summary.json").read_text())["channels"] == ["B4", "B3", "B2"]
