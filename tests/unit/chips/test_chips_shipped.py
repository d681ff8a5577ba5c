"""The shipped chip model: what it reads, how the scoring command uses it on either layout,
and what it does on real mine-free Level-1C imagery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.imagery import BRANDENBURG, CHIPS, needs_chips, needs_sentinel2
from test_chips_gallery import needs_gallery, small_gallery

from minescan.chips.cnn import Ensemble, Normaliser, load_models, save_models
from minescan.chips.networks import make_network
from minescan.chips.scene_scan import scan_scene
from minescan.chips.scoring import model_view, read_any, score_folder
from minescan.chips.shipped import SHIPPED_MODEL, load_screen
from minescan.errors import MinescanInputError

REPO = Path(__file__).resolve().parents[3]
MODEL = REPO / SHIPPED_MODEL


def test_the_shipped_model_reads_rgb_level1c_with_its_operating_points():
    presence = load_models(MODEL)["presence"]
    assert presence.band_names == ("B4", "B3", "B2")
    assert len(presence.members) == 6
    points = presence.operating_points
    # stricter specificity, higher threshold; the best-F1 point below both
    assert points["best_f1"] < points["specificity_0.99"] < points["specificity_0.998"] < 1
    assert presence.threshold_specificity == points["specificity_0.99"]


@needs_gallery
def test_scoring_a_renamed_gallery_copy_gives_the_operating_points_and_source_rates(tmp_path):
    folder = small_gallery(tmp_path, rows=48, name="moved_copy")
    metrics = score_folder(model=MODEL, folder=folder, out=tmp_path / "out", bootstrap=20)
    row = metrics.iloc[0]
    assert row["task"] == "presence" and row["n"] == 48
    for column in (
        "pr_auc",
        "roc_auc",
        "sensitivity_at_specificity_0.99",
        "sensitivity_at_specificity_0.998",
        "sensitivity_at_validation_threshold_0.99",
        "specificity_at_validation_threshold_0.998",
    ):
        assert column in metrics and np.isfinite(row[column]), column
    rates = pd.read_csv(tmp_path / "out" / "rates.csv")
    assert rates["group"].str.contains("acre_negatives").any()
    assert (tmp_path / "out" / "gallery_presence.png").stat().st_size > 1000
    predictions = pd.read_parquet(tmp_path / "out" / "predictions.parquet")
    assert len(predictions) == 48 and predictions["score"].between(0, 1).all()


@needs_gallery
def test_a_model_of_other_bands_refuses_a_gallery_folder_naming_the_chip(tmp_path):
    folder = small_gallery(tmp_path, rows=8)
    six = np.ones((2, 48, 48, 6), dtype=np.float32)
    member = make_network("patch", 6, 2).eval()
    ensemble = Ensemble("patch", 2, Normaliser.fit(six), [member])
    save_models({"presence": ensemble}, tmp_path / "six.pt", {})
    with pytest.raises(MinescanInputError, match="chip 'chip000' has the bands"):
        score_folder(model=tmp_path / "six.pt", folder=folder, out=tmp_path / "out", bootstrap=0)


@needs_chips
def test_the_rgb_model_reads_its_bands_by_name_from_a_six_band_pair_folder():
    chips = read_any(CHIPS)
    view = model_view(chips, load_models(MODEL)["presence"])
    order = [chips.bands.index(b) for b in ("B4", "B3", "B2")]
    np.testing.assert_array_equal(view, chips.data[..., order])


@needs_sentinel2
def test_the_shipped_model_raises_no_alarm_on_real_mine_free_farmland():
    figures = scan_scene(load_screen(MODEL), BRANDENBURG, crop=(0, 0, 384, 768))
    assert figures["windows_scored"] == 15 * 31
    assert figures["thresholds"]["specificity_0.99"]["windows"] == 0
    assert figures["max_probability"] < figures["thresholds"]["specificity_0.99"]["threshold"]
