"""Scoring any chips folder with a trained model: a renamed, moved copy scores the same."""

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures.chips import copy_chips
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.cnn import TrainSettings, fit_ensemble, save_models
from minescan.chips.load import load_chips
from minescan.chips.scoring import main, score_folder
from minescan.chips.tasks import emergence_task, presence_task
from minescan.errors import MinescanInputError


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A tiny presence and emergence model trained on 60 real pairs."""
    torch.set_num_threads(1)
    folder = copy_chips(CHIPS, tmp_path_factory.mktemp("train"), pairs_per_label=30, seed=5)
    chips = load_chips(folder)
    settings = TrainSettings(width=4, epochs=2, patience=1)
    presence = presence_task(chips)
    presence = presence[presence["y"].notna()]
    images = chips.data[presence["chip"].to_numpy()]
    y = presence["y"].to_numpy()
    models = {
        "presence": fit_ensemble(
            "patch", images[:80], y[:80], images[80:], y[80:], settings, [0, 1]
        )
    }
    pairs = emergence_task(chips)
    images = chips.data[pairs[["t0", "t1"]].to_numpy()]
    y = pairs["y"].to_numpy()
    models["emergence"] = fit_ensemble(
        "siamese", images[:40], y[:40], images[40:], y[40:], settings, [0]
    )
    path = tmp_path_factory.mktemp("model") / "cnn_model.pt"
    save_models(models, path, {"params": {}})
    return path


@pytest.mark.slow
@needs_chips
def test_a_renamed_moved_copy_gets_the_same_scores(model, tmp_path):
    original = copy_chips(CHIPS, tmp_path / "a", pairs_per_label=12, seed=1, rename=False)
    moved = copy_chips(original, tmp_path / "b", rename=True, shift_deg=7.3, seed=9)
    first = score_folder(model=model, folder=original, out=tmp_path / "out_a", bootstrap=20)
    second = score_folder(model=model, folder=moved, out=tmp_path / "out_b", bootstrap=20)
    columns = ["task", "model", "n", "positives", "pr_auc", "roc_auc", "f1"]
    pd.testing.assert_frame_equal(first[columns], second[columns])
    for name in (
        "metrics.csv",
        "rates.csv",
        "predictions.parquet",
        "curves.png",
        "gallery_presence.png",
        "gallery_emergence.png",
    ):
        assert (tmp_path / "out_b" / name).is_file()
    predictions = pd.read_parquet(tmp_path / "out_b" / "predictions.parquet")
    assert predictions["sample_id"].str.startswith("site").all()
    assert set(predictions["task"]) == {"presence", "emergence"}


@pytest.mark.slow
@needs_chips
def test_the_command_line_scores_a_folder(model, tmp_path):
    folder = copy_chips(CHIPS, tmp_path / "c", pairs_per_label=6, seed=3)
    main(
        [
            "--model",
            str(model),
            "--chips",
            str(folder),
            "--out",
            str(tmp_path / "o"),
            "--bootstrap",
            "0",
        ]
    )
    metrics = pd.read_csv(tmp_path / "o" / "metrics.csv")
    assert list(metrics["task"]) == ["presence", "emergence"]
    assert np.isnan(metrics.get("pr_auc_lo", pd.Series([np.nan]))).all()
    assert (tmp_path / "o" / "scoring.log").is_file()


@needs_chips
def test_a_model_that_does_not_fit_the_chips_is_a_clear_error(model, tmp_path):
    folder = copy_chips(CHIPS, tmp_path / "d", pairs_per_label=2, seed=3)
    table = pd.read_csv(folder / "chips.csv")
    for path in table["t0_path"].tolist() + table["t1_path"].tolist():
        np.save(folder / path, np.load(folder / path)[..., :4])
    with pytest.raises(MinescanInputError, match="shape"):
        score_folder(model=model, folder=folder, out=tmp_path / "o", bootstrap=0)
    with pytest.raises(MinescanInputError, match="not a torch model"):
        (tmp_path / "x.pt").write_bytes(b"\x00" * 10)
        score_folder(model=tmp_path / "x.pt", folder=folder, out=tmp_path / "o", bootstrap=0)


@pytest.mark.slow
@needs_chips
def test_a_transfer_recipe_model_scores_a_renamed_moved_copy_alike(tmp_path):
    """Per-chip standardisation, indices, TTA, a fused pair network and the thresholds for
    specificity 0.99: nothing of it may depend on the shipped chips' ids or places."""
    torch.set_num_threads(1)
    train = load_chips(copy_chips(CHIPS, tmp_path / "train", pairs_per_label=15, seed=7))
    settings = TrainSettings(
        width=4,
        epochs=1,
        patience=1,
        standardise="chip",
        indices=True,
        augment=("gain",),
        tta=True,
    )
    presence = presence_task(train)
    presence = presence[presence["y"].notna()]
    images, y = train.data[presence["chip"].to_numpy()], presence["y"].to_numpy()
    models = {
        "presence": fit_ensemble("patch", images[:40], y[:40], images[40:], y[40:], settings, [0])
    }
    pairs = emergence_task(train)
    images, y = train.data[pairs[["t0", "t1"]].to_numpy()], pairs["y"].to_numpy()
    models["emergence"] = fit_ensemble(
        "fused", images[:20], y[:20], images[20:], y[20:], settings, [0]
    )
    for ensemble in models.values():
        ensemble.threshold_specificity = 0.6
    path = tmp_path / "recipe.pt"
    save_models(models, path, {"params": {}})
    original = copy_chips(CHIPS, tmp_path / "a", pairs_per_label=10, seed=4, rename=False)
    moved = copy_chips(original, tmp_path / "b", rename=True, shift_deg=-11.0, seed=8)
    first = score_folder(model=path, folder=original, out=tmp_path / "oa", bootstrap=10)
    second = score_folder(model=path, folder=moved, out=tmp_path / "ob", bootstrap=10)
    columns = [
        "task",
        "model",
        "n",
        "pr_auc",
        "roc_auc",
        "f1",
        "sensitivity_at_validation_threshold_0.99",
    ]
    pd.testing.assert_frame_equal(first[columns], second[columns])
    assert first["specificity_at_validation_threshold_0.99"].notna().all()
