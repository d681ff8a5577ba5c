"""The footprints learning curve retrains on whole spatial groups of the training tiles, keeps
the validation and test tiles, and scores each model on the test tiles and its own tiles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures.detection import labelled_folder
from test_footprints_train import TINY, run

from minescan.footprints.learning_curve import learning_curve, subsample_roles

ASSESS = {"window_px": 64, "overlap_px": 16, "min_area_m2": 100.0, "min_object_pixels": 4}


def test_a_share_keeps_whole_groups_and_every_other_role():
    table = pd.DataFrame({"group": list("aabbccddee") + ["v", "t"]})
    role = pd.Series(["train"] * 10 + ["val", "test"])
    part = subsample_roles(table, role, 0.4, seed=1)
    kept = table.loc[part == "train", "group"]
    assert kept.nunique() == 2 and (part == "train").sum() == 4  # whole groups
    assert list(part.iloc[10:]) == ["val", "test"]
    assert part.equals(subsample_roles(table, role, 0.4, seed=1))  # seeded
    assert (subsample_roles(table, role, 0.01, seed=1) == "train").sum() == 2  # one group


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_curve_retrains_on_a_share_and_ends_at_the_trained_model(tmp_path):
    torch.set_num_threads(1)
    folder = labelled_folder(tmp_path / "tiles", count=16, size=64)
    out, summary = run(tmp_path, folder, "model")
    curve = learning_curve(
        model=str(out / "model.pt"),
        table=str(out / "tiles.csv"),
        shares=[0.5],
        channels=["B4", "B3", "B2"],
        percentiles=[1, 99],
        options={**TINY, "epochs": 1},
        assess_options=ASSESS,
        seed=0,
        table_out=str(tmp_path / "curve.csv"),
        summary_out=str(tmp_path / "curve.json"),
        plot_out=str(tmp_path / "curve.png"),
        provenance={},
    )
    table = pd.read_csv(out / "tiles.csv")
    assert list(curve["share"]) == [0.5, 1.0]
    assert curve["train_tiles"].iloc[-1] == (table["role"] == "train").sum()
    assert 0 < curve["train_tiles"].iloc[0] < curve["train_tiles"].iloc[-1]
    assert (curve["test_tiles"] == (table["role"] == "test").sum()).all()
    assert curve["threshold"].iloc[-1] == pytest.approx(summary["threshold"])
    assert np.isfinite(curve[["test_iou", "train_iou"]].to_numpy()).all()
    assert json.loads((tmp_path / "curve.json").read_text())["points"][1]["share"] == 1.0
    assert (tmp_path / "curve.png").stat().st_size > 5000
