"""The screens' false-positive rate on mine-free imagery: cells cut per pyramid level from a
scene folder, scored by the chip CNN, kept at thresholds chosen on validation chips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from minescan.chips.cnn import Ensemble, load_models, make_network, save_models
from minescan.chips.inputs import Normaliser
from minescan.errors import MinescanInputError
from minescan.pyramid import false_positives as fp
from minescan.pyramid.levels import pyramid_levels

SCENE_PX = 300  # 3 km at 10 m
# z16 cells of 480 m at 10 m and z15 cells of 960 m at 20 m: both 48 px, one CNN window
GRID = {"zoom_levels": [15, 16], "cell_size_m": 960, "pixel_size_m": 10}
PYRAMID = {"levels": [15, 16], "target_recall": 0.75}


def _scene(folder: Path) -> Path:
    """Per-band GeoTIFFs of one 3 x 3 km scene (UTM 33N), reflectance x 10000."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    transform = from_origin(400_000.0, 5_800_000.0, 10.0, 10.0)
    for band in ("B02", "B03", "B04", "B08", "B11", "B12"):
        data = rng.integers(300, 3000, (SCENE_PX, SCENE_PX)).astype("uint16")
        profile = dict(driver="GTiff", width=SCENE_PX, height=SCENE_PX, count=1, dtype="uint16")
        with rasterio.open(
            folder / f"s2_{band}.tif", "w", crs="EPSG:32633", transform=transform, **profile
        ) as dst:
            dst.write(data, 1)
    return folder


def _ensemble(validation: dict | None) -> Ensemble:
    torch.manual_seed(0)
    sample = np.random.default_rng(1).integers(300, 3000, (4, 48, 48, 6)).astype(np.float32)
    net = make_network("patch", 6, 4).eval()
    return Ensemble("patch", 4, Normaliser.fit(sample), [net], 0.5, [], 2, False, 0.6, validation)


def test_the_threshold_for_a_recall_comes_from_the_validation_mines():
    ensemble = _ensemble({"y": [1, 1, 1, 1, 0], "score": [0.9, 0.8, 0.7, 0.6, 0.95]})
    assert ensemble.threshold_for_recall(0.75) == pytest.approx(0.7)  # 3 of 4 mines kept
    assert ensemble.threshold_for_recall(1.0) == pytest.approx(0.6)
    with pytest.raises(MinescanInputError, match="no validation scores"):
        _ensemble(None).threshold_for_recall(0.98)


def test_every_cell_of_each_level_is_scored_and_kept_at_the_threshold(tmp_path):
    scenes = _scene(tmp_path / "scenes" / "one")
    levels = pyramid_levels(GRID, PYRAMID)
    cells, windows = fp.cell_scores(_ensemble(None), tmp_path / "scenes", levels)
    counts = cells.groupby("zoom").size().to_dict()
    assert counts == {15: 9, 16: 36}  # whole cells of 960 m and 480 m in 3 km
    assert (cells["windows"] == 1).all() and len(windows) == 45
    assert cells["valid_fraction"].min() == 1.0 and scenes.is_dir()
    middle = float(cells.loc[cells["zoom"] == 16, "score"].median())
    summary = fp.summarise(cells, windows, {"all": 0.0, "none": 1.01, "half": middle})
    by = summary.set_index(["threshold_name", "zoom"])
    assert by.loc[("all", 16), "false_positive_rate"] == 1.0
    assert by.loc[("none", 15), "cells_kept"] == 0
    half = by.loc[("half", 16)]
    assert half["cells_kept"] == int((cells.loc[cells["zoom"] == 16, "score"] >= middle).sum())
    assert half["ci_low"] <= half["false_positive_rate"] <= half["ci_high"]


def test_the_command_writes_per_level_rates_for_the_planner(tmp_path):
    _scene(tmp_path / "scenes" / "one")
    model = tmp_path / "cnn_model.pt"
    validation = {"y": [1, 1, 1, 1, 0, 0], "score": [0.9, 0.8, 0.7, 0.2, 0.95, 0.1]}
    save_models({"presence": _ensemble(validation)}, model, {"test": True})
    assert load_models(model)["presence"].validation == validation
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"grid": GRID, "pyramid": PYRAMID}))
    out = tmp_path / "out"
    fp.main(
        ["--model", str(model), "--scenes", str(tmp_path / "scenes")]
        + ["--configfile", str(config), "--out", str(out)]
    )
    record = json.loads((out / "summary.json").read_text())
    assert record["target_recall"] == 0.75 and record["thresholds"]["recall_0.75"] == 0.7
    assert set(record["false_positive_rate"]) == {"15", "16"}
    assert record["cells"] == {"15": 9, "16": 36}
    assert all(0.0 <= rate <= 1.0 for rate in record["false_positive_rate"].values())
    assert (out / "cells.csv").is_file() and (out / "summary.csv").is_file()


def test_levels_with_cells_smaller_than_a_window_are_refused(tmp_path):
    _scene(tmp_path / "scenes" / "one")
    small = pyramid_levels({**GRID, "cell_size_m": 640}, PYRAMID)  # 32 px cells
    with pytest.raises(MinescanInputError, match="smaller than the CNN's 48 px window"):
        fp.cell_scores(_ensemble(None), tmp_path / "scenes", small)
