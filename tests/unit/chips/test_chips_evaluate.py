"""Cross-validation of every family on both tasks, on a small real subset with tiny models."""

import numpy as np
import pytest
import torch
from fixtures.chips import copy_chips
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.cnn import TrainSettings
from minescan.chips.evaluate import Settings, evaluate_chips
from minescan.chips.load import load_chips

SETTINGS = Settings(
    block_deg=2.0,
    folds=3,
    seed=1,
    members=2,
    cnn=TrainSettings(width=4, epochs=2, patience=1),
    bootstrap=20,
    pixels_per_chip=8,
    n_lambdas=5,
    pixel_families=("hist_gradient_boosting",),
    learning_curve=(0.5,),
)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    torch.set_num_threads(1)
    folder = copy_chips(CHIPS, tmp_path_factory.mktemp("chips"), pairs_per_label=40, seed=2)
    return evaluate_chips(load_chips(folder), SETTINGS)


@pytest.mark.slow
@needs_chips
def test_every_family_is_scored_on_both_tasks_with_intervals(result):
    metrics = result.metrics.set_index(["task", "model"])
    assert set(metrics.loc["presence"].index) == {
        "cnn_ensemble",
        "cnn_single",
        "patch_hist_gradient_boosting",
        "pixel_lasso",
        "pixel_logistic_l1",
        "pixel_hist_gradient_boosting",
    }
    assert set(metrics.loc["emergence"].index) == {
        "siamese_cnn_ensemble",
        "siamese_cnn_single",
        "patch_hist_gradient_boosting",
    }
    assert (metrics["pr_auc_lo"] <= metrics["pr_auc"]).all()
    assert (metrics["pr_auc"] <= metrics["pr_auc_hi"]).all()
    assert set(result.models) == {"presence", "emergence"}
    assert set(result.learning_curve["train_fraction"]) == {0.5, 1.0}


@needs_chips
def test_each_row_is_scored_once_by_the_fold_that_held_it_out(result):
    predictions = result.predictions
    counts = predictions.groupby(["task", "model", "row"]).size()
    assert (counts == 1).all()
    # the before chips (t0 of mine pairs) are scored but never labelled
    before = predictions[predictions.get("role") == "before"]
    assert len(before) > 0 and before["y"].isna().all()
    rates = result.rates
    assert "before (t0 of mine pairs)" in set(rates["group"])
    assert rates["rate"].between(0, 1).all()


@needs_chips
def test_cnn_training_is_recorded_per_member(result):
    training = result.training
    assert {"task", "seed", "epochs_run", "best_epoch", "seconds_per_epoch", "device"} <= set(
        training
    )
    assert (training["epochs_run"] >= 1).all()
    assert np.isfinite(result.metrics["threshold"]).all()
