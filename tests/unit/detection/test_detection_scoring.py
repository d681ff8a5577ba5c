"""The detection scoring command on a tiny labelled folder with a tiny trained detector (two
epochs of 20 tiles of 128 px): the channels and scaling come from detector.json beside the
weights, a renamed and moved copy scores the same, a folder lacking a band the model needs and
weights without their record are clear errors; false alarms on the real mine-free scenes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.imagery import SHARED, needs_sentinel2

from minescan.detection.assess import threshold_for_false_alarms
from minescan.detection.evaluate import ground_truth
from minescan.detection.scoring import main, score_folder
from minescan.errors import MinescanInputError
from minescan.ml.tile_tables import tile_table_from_folder


@pytest.fixture(scope="module")
def model(tiny_detector):
    root = tiny_detector.parents[2]
    return root, root / "tailings", tiny_detector


@pytest.mark.slow
def test_training_records_channels_scaling_and_sizes_beside_the_weights(model):
    root, _, weights = model
    record = json.loads((weights.parent / "detector.json").read_text())
    scaling = json.loads((root / "scaling.json").read_text())
    assert record["channels"] == ["B4", "B3", "B2"] == scaling["channels"]
    assert record["low"] == scaling["low"] and record["high"] == scaling["high"]
    assert record["image_size"] == 128 and record["window_px"] == 128
    assert [f["a"] for f in record["features"]] == ["B4", "B3", "B2"]


@pytest.mark.slow
def test_a_renamed_moved_copy_of_the_folder_scores_the_same(model, tmp_path):
    root, folder, weights = model
    # A low confidence, so that the two-epoch detector's boxes are compared too.
    first = score_folder(
        model=weights, folder=folder, out=tmp_path / "a", min_object_pixels=4, confidence=0.01
    )
    copy = tmp_path / "elsewhere" / "my renamed tiles"
    shutil.copytree(folder, copy)
    second = main(
        [
            "--model",
            str(weights),
            "--folder",
            str(copy),
            "--out",
            str(tmp_path / "b"),
            "--min-object-pixels",
            "4",
            "--confidence",
            "0.01",
        ]
    )
    for key in ("map50", "map50_95", "object_recall_iou50", "object_recall_half_area"):
        assert first[key] == second[key]
    truth = ground_truth(tile_table_from_folder(folder), 4)
    assert second["tiles"] == 20 and second["objects"] == sum(len(r) for r in truth.values())
    assert 0 <= second["map50"] <= 1 and second["boxes_per_tile"] > 0
    objects = pd.read_csv(tmp_path / "b" / "objects.csv")
    assert len(objects) == second["objects"] and set(objects["tile"]) == set(truth)
    scored = ["tile", "pixels", "best_iou", "covered_fraction", "found_iou50", "found_half_area"]
    pd.testing.assert_frame_equal(
        objects[scored], pd.read_csv(tmp_path / "a" / "objects.csv")[scored]
    )
    boxes = pd.read_csv(tmp_path / "b" / "boxes.csv")
    assert len(boxes) == second["detections"] > 0 and (boxes["score"] >= 0.01).all()
    pd.testing.assert_frame_equal(boxes, pd.read_csv(tmp_path / "a" / "boxes.csv"))
    assert (tmp_path / "b" / "gallery.png").stat().st_size > 5000
    assert (tmp_path / "b" / "detections.gpkg").is_file()
    stored = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert stored["folder"] == str(copy) and stored["channels"] == ["B4", "B3", "B2"]
    assert "false_alarms_per_100km2" not in stored  # no background given


def test_a_folder_without_a_band_the_model_needs_is_refused(model, tmp_path):
    _, folder, weights = model
    copy = shutil.copytree(folder, tmp_path / "two_bands")
    for image in (copy / "images").glob("*.tif"):
        with rasterio.open(image) as src:
            profile, data = src.profile, src.read([1, 2])
        profile.update(count=2)
        with rasterio.open(image, "w", **profile) as dst:
            dst.write(data)
            dst.descriptions = ("B2", "B3")
    with pytest.raises(
        MinescanInputError, match=r"need bands \['B2', 'B3', 'B4'\].*missing \['B4'\]"
    ):
        score_folder(model=weights, folder=copy, out=tmp_path / "out")
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_weights_without_their_record_are_refused(model, tmp_path):
    _, folder, weights = model
    alone = tmp_path / "weights.pt"
    shutil.copyfile(weights, alone)
    with pytest.raises(MinescanInputError, match="no detector.json beside the weights"):
        score_folder(model=alone, folder=folder, out=tmp_path / "out")


def test_the_threshold_for_a_false_alarm_rate_keeps_that_many_boxes():
    scores = np.array([0.9, 0.2, 0.5, 0.05])
    # 100 km² at 2 per 100 km²: the two best boxes stay
    chosen = threshold_for_false_alarms(scores, 100.0, 2.0)
    assert (scores >= chosen).sum() == 2 and chosen > 0.2
    assert threshold_for_false_alarms(scores, 400.0, 2.0) == 0.0  # 8 allowed, 4 found
    assert (scores >= threshold_for_false_alarms(scores, 10.0, 2.0)).sum() == 0


@pytest.mark.slow
@needs_sentinel2
def test_false_alarms_on_real_mine_free_scenes_and_recall_at_the_target(model, tmp_path):
    _, folder, weights = model
    metrics = score_folder(
        model=weights,
        folder=folder,
        out=tmp_path,
        background=SHARED / "sentinel2",
        min_object_pixels=4,
    )
    assert 300 < metrics["background_km2"] < 500  # about 400-490 km² of real Sentinel-2
    assert metrics["false_alarms_per_100km2"] == pytest.approx(
        100 * metrics["background_false_alarms"] / metrics["background_km2"], abs=1e-3
    )
    target = metrics["at_target_false_alarms"]
    assert target["false_alarms"] <= 2.0 * metrics["background_km2"] / 100
    assert target["object_recall_iou50"] <= 1.0


def _ensemble_of(weights, root):
    """A fold ensemble of the detector and a copy of it (the fusion of a model with itself),
    made by ``minescan.detection.ensemble`` in ``root/ensemble``."""
    from minescan.detection.ensemble import main as ensemble

    shutil.copytree(weights.parent, root / "member", ignore=shutil.ignore_patterns("run"))
    ensemble([str(weights), str(root / "member" / "weights.pt"), "--out", str(root / "ensemble")])
    return root / "ensemble" / "weights.pt"


@pytest.mark.slow
def test_an_ensemble_of_a_model_with_itself_scores_as_the_model(model, tmp_path):
    _, folder, weights = model
    _ensemble_of(weights, tmp_path / "run")
    record = json.loads((tmp_path / "run" / "ensemble" / "detector.json").read_text())
    assert record["members"] == ["../member/weights.pt"]
    moved = shutil.move(tmp_path / "run", tmp_path / "moved")  # the folder moves whole
    options = {"folder": folder, "min_object_pixels": 4, "confidence": 0.01}
    alone = score_folder(model=weights, out=tmp_path / "a", **options)
    fused = score_folder(model=moved / "ensemble" / "weights.pt", out=tmp_path / "b", **options)
    assert fused["objects"] == alone["objects"]
    assert fused["map50"] == pytest.approx(alone["map50"], abs=0.02)
    assert fused["object_recall_half_area"] == pytest.approx(
        alone["object_recall_half_area"], abs=0.05
    )
    stored = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert "+" in stored["model_id"]
    (moved / "member" / "weights.pt").unlink()
    with pytest.raises(MinescanInputError, match="lists ensemble members that are not there"):
        score_folder(model=moved / "ensemble" / "weights.pt", out=tmp_path / "c", **options)
    assert not (tmp_path / "c" / "metrics.json").exists()


def test_members_of_other_channels_or_scaling_are_refused(model, tmp_path):
    from minescan.detection.ensemble import make_ensemble

    _, _, weights = model
    other = shutil.copytree(
        weights.parent, tmp_path / "other", ignore=shutil.ignore_patterns("run")
    )
    record = json.loads((other / "detector.json").read_text())
    record["low"] = [v + 1 for v in record["low"]]
    (other / "detector.json").write_text(json.dumps(record))
    with pytest.raises(MinescanInputError, match=r"differs from .* in \['low'\]"):
        make_ensemble([weights, other / "weights.pt"], tmp_path / "ensemble")
    assert not (tmp_path / "ensemble" / "weights.pt").exists()
    with pytest.raises(MinescanInputError, match="two members or more"):
        make_ensemble([weights], tmp_path / "ensemble")


@pytest.mark.slow
def test_test_time_augmentation_scores_every_view(model, tmp_path):
    _, folder, weights = model
    metrics = main(
        [
            "--model",
            str(weights),
            "--folder",
            str(folder),
            "--out",
            str(tmp_path),
            "--tta",
            "--min-object-pixels",
            "4",
            "--confidence",
            "0.01",
        ]
    )
    stored = json.loads((tmp_path / "metrics.json").read_text())
    assert stored["minescan_provenance"]["params"]["tta"] is True
    boxes = pd.read_csv(tmp_path / "boxes.csv")
    assert len(boxes) == metrics["detections"] and (boxes["score"] >= 0.01).all()
    assert (boxes[["px_x0", "px_y0"]] >= -1).all().all()
    assert (boxes[["px_x1", "px_y1"]] <= 129).all().all()
