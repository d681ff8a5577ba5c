"""The false-positive command on a mine-free scene: every cell of each level inside the scene
read through the local backend, scored, kept by the stored threshold, counted with an interval."""

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import torch
import yaml
from rasterio.transform import from_origin

from experiments.pyramid.false_positives import READ_BANDS, main, wilson
from minescan.chips.cnn import TrainSettings, fit_ensemble, save_models
from minescan.errors import MinescanInputError

FILE_NAMES = {b: f"s2_B{b[1:].zfill(2) if b != 'B8A' else '8A'}.tif" for b in READ_BANDS}


def write_scene(folder, side_px=512, pixel=10.0):
    folder.mkdir()
    rng = np.random.default_rng(3)
    for name in FILE_NAMES.values():
        with rasterio.open(
            folder / name,
            "w",
            driver="GTiff",
            width=side_px,
            height=side_px,
            count=1,
            dtype="uint16",
            crs="EPSG:32618",
            transform=from_origin(5120, 15360, pixel, pixel),
        ) as dst:
            dst.write(rng.integers(200, 3000, (1, side_px, side_px)).astype(np.uint16))
    (folder / "preview.tif").write_bytes(b"not a band file")


@pytest.fixture()
def model(tmp_path):
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    chips = rng.integers(100, 3000, (12, 48, 48, 6)).astype(np.float32)
    y = (np.arange(12) % 2).astype(float)
    settings = TrainSettings(width=4, epochs=1, patience=1, batch_size=6)
    ensemble = fit_ensemble("patch", chips[:8], y[:8], chips[8:], y[8:], settings, [0])
    path = tmp_path / "cnn_model.pt"
    save_models({"presence": ensemble}, path, {"test": "fp"})
    return path


@pytest.mark.slow
def test_every_cell_is_scored_and_counted(tmp_path, model):
    write_scene(tmp_path / "scene")  # 5,120 m square, aligned to 2,560 m cells
    config = {
        "grid": {"zoom_levels": [15, 16], "cell_size_m": 2560, "pixel_size_m": 10},
        "pyramid": {"levels": [15, 16]},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    # keep everything at one operating point, nothing at the other
    sidecar = {"threshold_recall": 0.0, "threshold_specificity_0.99": 1.01}
    (tmp_path / "cnn_model.pt.thresholds.json").write_text(json.dumps(sidecar))
    out = tmp_path / "out"
    main(
        [
            "--scenes",
            str(tmp_path / "scene"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--screen",
            f"chip_cnn={model}",
            "--out",
            str(out),
        ]
    )
    summary = pd.read_csv(out / "summary.csv").set_index(["operating_point", "zoom"])
    assert summary.loc[("recall", 15), "cells"] == 4  # 2 x 2 cells of 2,560 m at 20 m
    assert summary.loc[("recall", 16), "cells"] == 16
    assert summary.loc[("recall", 16), "false_positive_rate"] == 1.0
    assert summary.loc[("specificity_0.99", 16), "kept"] == 0
    assert summary.loc[("specificity_0.99", 16), "wilson_high"] == pytest.approx(wilson(0, 16)[1])
    cells = pd.read_csv(out / "cells.csv")
    assert cells["score"].between(0, 1).all()


def test_missing_threshold_file_is_named(tmp_path, model):
    write_scene(tmp_path / "scene")
    with pytest.raises(MinescanInputError, match="thresholds.json"):
        main(
            [
                "--scenes",
                str(tmp_path / "scene"),
                "--screen",
                f"chip_cnn={model}",
                "--out",
                str(tmp_path / "out"),
            ]
        )


def test_wilson_interval_of_no_kept_cells_is_not_zero_width():
    low, high = wilson(0, 265)
    assert low == 0.0 and 0.01 < high < 0.02
