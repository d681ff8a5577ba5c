"""A tiny detector trained on the CPU (20 images of 128 px, two epochs), from a model yaml and
from local weights (the first model's file stands in for downloaded weights); detections over
windows of a larger tile, georeferenced; the zero-shot round; bad weights."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.detection import DATASET_OPTIONS, dataset_paths, labelled_folder, synthetic_scene
from fixtures.imagery import SHARED, needs_sentinel2
from rasterio.transform import from_origin

from minescan.config import check_detection
from minescan.detection import steps
from minescan.detection.dataset import build_dataset
from minescan.detection.predict import DETECTION_COLUMNS, Detector
from minescan.errors import MinescanInputError
from minescan.ml.tile_tables import tile_table_from_folder

SENTINEL2 = SHARED / "sentinel2"
TRAIN = {"epochs": 2, "image_size": 128, "batch": 8, "patience": 10, "seed": 0}
HYPERPARAMETERS = {"flipud": 0.5, "degrees": 7.5, "hsv_s": 0.2, "close_mosaic": 1, "cos_lr": True}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("detector")
    folder = labelled_folder(root / "tailings", count=20)
    build_dataset(
        tiles=tile_table_from_folder(folder),
        channels=["B4", "B3", "B2"],
        provenance={},
        **dataset_paths(root),
        **DATASET_OPTIONS,
    )
    run = root / "train" / "final"
    summary = steps.train(
        dataset_dir=str(root / "dataset"),
        run="final",
        run_dir=run / "run",
        weights_out=run / "weights.pt",
        summary_out=run / "summary.json",
        curves_out=run / "curves.png",
        start="yolo11n.yaml",
        settings_dir=root / "ultralytics",
        workers=0,
        provenance={},
        hyperparameters=HYPERPARAMETERS,
        **TRAIN,
    )
    return root, summary


@pytest.mark.slow
def test_training_from_a_model_yaml_writes_weights_curves_and_a_summary(trained):
    root, summary = trained
    run = root / "train" / "final"
    assert (run / "weights.pt").stat().st_size > 100_000
    assert (run / "curves.png").stat().st_size > 1000
    assert summary["epochs"] == 2 and summary["kept"] == "last" and summary["device"] == "cpu"
    assert set(summary["validation"]) == {"precision", "recall", "map50", "map50_95"}
    assert json.loads((run / "summary.json").read_text())["weights_id"] == summary["weights_id"]
    assert (root / "ultralytics" / "Arial.ttf").is_file()  # settings stay in the results


def test_hyperparameters_reach_ultralytics_train_arguments(trained):
    import yaml

    root, summary = trained
    args = yaml.safe_load((root / "train" / "final" / "run" / "args.yaml").read_text())
    assert {k: args[k] for k in HYPERPARAMETERS} == HYPERPARAMETERS
    assert args["fliplr"] == 0.5 and args["mosaic"] == 1.0  # the others keep their defaults
    assert summary["hyperparameters"] == HYPERPARAMETERS


def test_hyperparameters_are_those_of_the_config_schema_and_unknown_ones_are_refused():
    import yaml

    from minescan.detection.train import HYPERPARAMETERS as KEYS
    from minescan.detection.train import train_arguments

    schema = yaml.safe_load(
        (Path(__file__).parents[3] / "workflow/schemas/config.schema.yaml").read_text()
    )
    section = schema["properties"]["detection"]["properties"]["hyperparameters"]
    assert set(section["properties"]) == KEYS
    assert train_arguments(None) == {}
    with pytest.raises(
        MinescanInputError, match=r"unknown ultralytics training settings \['epochs'\]"
    ):
        train_arguments({"epochs": 3, "flipud": 0.5})


@pytest.mark.slow
def test_training_starts_from_local_weights(trained):
    root, first = trained
    run = root / "train" / "fold0"
    summary = steps.train(
        dataset_dir=str(root / "dataset"),
        run="fold0",
        run_dir=run / "run",
        weights_out=run / "weights.pt",
        summary_out=run / "summary.json",
        curves_out=run / "curves.png",
        start=str(root / "train" / "final" / "weights.pt"),
        settings_dir=root / "ultralytics",
        workers=0,
        provenance={},
        **{**TRAIN, "epochs": 1},
    )
    assert summary["start"].endswith("final/weights.pt") and summary["kept"] == "best"
    assert summary["weights_id"] != first["weights_id"]
    table = steps.cross_validation(
        summaries=[str(run / "summary.json")] * 2, names=["fold0", "fold1"], out=root / "cv.csv"
    )
    assert table["fold"].tolist() == ["fold0", "fold1", "mean", "std"]


def write_wide_tile(path, size=256):
    data, mine = synthetic_scene(size, np.random.default_rng(5), 3)
    data[:, :, :40] = 0  # a strip without data
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint16"}
    transform = from_origin(500000, 9960000, 10, 10)
    with rasterio.open(path, "w", crs="EPSG:32750", transform=transform, **profile) as dst:
        dst.write(data[:3])
        dst.descriptions = ("B2", "B3", "B4")
    return path


def test_detections_over_windows_are_georeferenced(trained, tmp_path, caplog):
    root, _ = trained
    wide = write_wide_tile(tmp_path / "wide.tif")
    empty = tmp_path / "empty.tif"
    with rasterio.open(wide) as src:
        profile = src.profile
    with rasterio.open(empty, "w", **profile) as dst:
        dst.write(np.zeros((3, 256, 256), dtype=np.uint16))
        dst.descriptions = ("B2", "B3", "B4")
    tiles = pd.DataFrame({"tile": ["wide", "empty"], "image": [str(wide), str(empty)]})
    with caplog.at_level(logging.WARNING):
        found = steps.predict(
            weights=str(root / "train" / "final" / "weights.pt"),
            scaling=str(root / "scaling.json"),
            tiles=tiles.assign(cell_id=tiles["tile"]),
            out=str(tmp_path / "detections.parquet"),
            image_size=128,
            confidence=0.001,
            iou=0.5,
            overlap=32,
            settings_dir=str(root / "ultralytics"),
            provenance={"test": True},
            zoom=16,
        )
    assert "empty.tif: no valid pixels; skipped" in caplog.text
    saved = gpd.read_parquet(tmp_path / "detections.parquet")
    assert list(saved.columns) == [*DETECTION_COLUMNS, "geometry"]
    assert saved.crs.to_epsg() == 4326 and len(saved) == len(found) > 0
    assert set(saved["tile"]) == {"wide"} and (saved["crs"] == "EPSG:32750").all()
    assert (saved["x_min"] >= 500000).all() and (saved["x_max"] <= 502560 + 1e-6).all()
    assert (saved["px_x1"] <= 256).all() and (saved["px_y1"] <= 256).all()
    lon, lat = saved.geometry.iloc[0].centroid.coords[0]
    assert 116 < lon < 118 and -1 < lat < 0  # UTM 50S near the equator


def test_windows_larger_than_the_image_size_are_shrunk_to_it(trained, tmp_path):
    root, _ = trained
    wide = write_wide_tile(tmp_path / "wide.tif")
    detector = Detector.load(
        root / "train" / "final" / "weights.pt",
        root / "scaling.json",
        128,
        root / "ultralytics",
        256,
    )
    assert detector.window == 256 and detector.image_size == 128
    seen = []
    predict = detector.model.predict

    def spy(crops, **kwargs):
        seen.append(([c.shape[:2] for c in crops], kwargs["imgsz"]))
        return predict(crops, **kwargs)

    detector.model.predict = spy
    from minescan.ml.tiles import read_image

    boxes = detector.detect(
        detector.image(read_image(wide, need_mine=False)), 0.001, 0.5, 32, "cpu"
    )
    assert seen == [([(256, 256)], 128)]  # one window of the whole tile, shrunk to 128 px
    assert len(boxes) == 0 or (boxes[["px_x1", "px_y1"]].to_numpy() <= 256 + 1e-6).all()
    native = Detector.load(
        root / "train" / "final" / "weights.pt", root / "scaling.json", 128, root / "ultralytics"
    )
    assert native.window == 128


def test_a_tile_smaller_than_the_window_is_padded_to_it_not_enlarged(trained):
    """A 128 px tile under a 256 px window reaches the model as a 256 px window (shrunk to the
    image size as training windows were); its boxes stay inside the tile."""
    root, _ = trained
    detector = Detector.load(
        root / "train" / "final" / "weights.pt",
        root / "scaling.json",
        128,
        root / "ultralytics",
        256,
    )
    seen = []
    predict = detector.model.predict

    def spy(crops, **kwargs):
        seen.append([c.shape[:2] for c in crops])
        return predict(crops, **kwargs)

    detector.model.predict = spy
    small = np.full((128, 96, 3), 120, dtype=np.uint8)
    small[40:70, 30:60] = 250
    boxes = detector.detect(small, 0.001, 0.5, 32, "cpu")
    assert seen == [[(256, 256)]]
    assert (boxes[["px_x0", "px_y0"]].to_numpy() >= 0).all()
    assert (boxes["px_x1"] <= 96).all() and (boxes["px_y1"] <= 128).all()


def test_zero_shot_round_on_the_validation_tiles(trained, tmp_path):
    root, _ = trained
    metrics = steps.zero_shot(
        weights=str(root / "train" / "final" / "weights.pt"),
        scaling=str(root / "scaling.json"),
        table=str(root / "tiles.csv"),
        detections_out=str(tmp_path / "zero_shot.parquet"),
        metrics_out=str(tmp_path / "metrics.json"),
        split="val",
        min_object_pixels=4,
        confidence=0.25,
        predict_confidence=0.01,
        image_size=128,
        iou=0.5,
        overlap=32,
        settings_dir=str(root / "ultralytics"),
        provenance={},
    )
    val = pd.read_csv(root / "tiles.csv").query("split == 'val'")
    assert metrics["tiles"] == len(val) and metrics["objects"] >= len(val)
    assert 0 <= metrics["map50"] <= 1
    assert json.loads((tmp_path / "metrics.json").read_text())["split"] == "val"


def test_a_corrupt_weights_file_is_a_clear_error(trained, tmp_path):
    root, _ = trained
    corrupt = tmp_path / "yolo11n.pt"
    corrupt.write_bytes((root / "train" / "final" / "weights.pt").read_bytes()[:5000])
    with pytest.raises(MinescanInputError, match="yolo11n.pt: cannot be loaded as YOLO weights"):
        Detector.load(corrupt, root / "scaling.json", 128, root / "ultralytics")


def test_weights_taking_other_channels_than_the_dataset_are_a_clear_error(trained, tmp_path):
    root, _ = trained
    record = json.loads((root / "scaling.json").read_text())
    record["features"].append({"name": "B8", "a": "B8", "b": None})
    record["channels"].append("B8")
    (tmp_path / "scaling.json").write_text(json.dumps(record))
    with pytest.raises(MinescanInputError, match="the model takes 3 channels; the dataset has 4"):
        Detector.load(
            root / "train" / "final" / "weights.pt",
            tmp_path / "scaling.json",
            128,
            root / "ultralytics",
        )


def test_a_missing_weights_path_fails_the_config_check(tmp_path):
    with pytest.raises(MinescanInputError, match=r"detection.weights .*absent.pt does not exist"):
        check_detection({"weights": str(tmp_path / "absent.pt")})
    check_detection({"weights": None, "labelled": {}})


@pytest.mark.slow
@needs_sentinel2
def test_false_alarms_are_counted_on_the_real_mine_free_scenes(trained, tmp_path):
    root, _ = trained
    summary = steps.background(
        weights=str(root / "train" / "final" / "weights.pt"),
        scaling=str(root / "scaling.json"),
        folder=str(SENTINEL2),
        out=str(tmp_path / "background.parquet"),
        summary_out=str(tmp_path / "background.json"),
        image_size=448,
        confidence=0.01,
        iou=0.5,
        overlap=64,
        settings_dir=str(root / "ultralytics"),
        provenance={},
    )
    assert summary["tiles"] >= 15 and 300 < summary["km2"] < 450  # about 400 km² of real S2
    found = gpd.read_parquet(tmp_path / "background.parquet")
    assert found.crs.to_epsg() == 4326
    assert set(found["crs"]) <= {"EPSG:32618", "EPSG:32633"}


def test_a_detection_zoom_outside_the_grid_fails_the_config_check():
    import yaml

    from minescan.config import check_config

    config = yaml.safe_load((Path(__file__).parents[3] / "config" / "config.yaml").read_text())
    config["detection"]["zooms"] = [13]
    with pytest.raises(
        MinescanInputError, match=r"detection.zooms \[13\] are not grid.zoom_levels"
    ):
        check_config(config)
