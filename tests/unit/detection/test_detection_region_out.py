"""Region-out evaluation of the detector on a tiny labelled folder (three latitudes, one band
each, one epoch): the held-out band never trains, the bands are pooled; per-tile scaling; real
mine-free scenes as training negatives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fixtures.detection import DATASET_OPTIONS, dataset_paths, labelled_folder
from fixtures.imagery import SHARED, needs_sentinel2

from minescan.detection.dataset import build_dataset
from minescan.detection.region_out import band_tiles, region_out_band, summarise
from minescan.errors import MinescanInputError
from minescan.ml.channels import Scaling
from minescan.ml.tile_tables import tile_table_from_folder

TRAIN = {"epochs": 1, "image_size": 128, "batch": 8, "patience": 10, "seed": 0}
PREDICT = {"image_size": 128, "window_px": 128, "confidence": 0.01, "iou": 0.5, "overlap": 32}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return labelled_folder(tmp_path_factory.mktemp("region") / "tiles", count=21)


def test_the_held_out_band_is_the_test_split_and_a_gap_keeps_neighbours_out(folder):
    table = band_tiles(folder, band=0, bands=3, gap_deg=0.0)
    held = table[table["region_split"] == "test"]
    assert len(held) == 7 and held["latitude"].nunique() == 1
    assert (table.loc[table["region_split"] == "train", "band"] != 0).all()
    gapped = band_tiles(folder, band=0, bands=3, gap_deg=0.15)
    # the next latitude lies 0.1 degrees away (gap), the last 0.2 (train)
    assert gapped["region_split"].value_counts().to_dict() == {"test": 7, "gap": 7, "train": 7}
    with pytest.raises(MinescanInputError, match="leaves no training tiles for band 1"):
        band_tiles(folder, band=1, bands=3, gap_deg=0.15)


@pytest.mark.slow
def test_each_band_held_out_then_pooled(folder, tmp_path):
    metrics, objects = [], []
    for band in range(3):
        work = tmp_path / f"band{band}"
        record = region_out_band(
            folder=folder,
            band=band,
            bands=3,
            gap_deg=0.0,
            work_dir=work / "work",
            metrics_out=work / "metrics.json",
            objects_out=work / "objects.csv",
            channels=["B4", "B3", "B2"],
            dataset_options={**DATASET_OPTIONS, "test_fraction": 0.2},
            train_options=TRAIN,
            predict_options=PREDICT,
            start="yolo11n.yaml",
            settings_dir=tmp_path / "ultralytics",
            confidence=0.25,
            background=None,
            provenance={},
        )
        trained_on = set(pd.read_csv(work / "work" / "tiles.csv")["tile"])
        held = set(pd.read_csv(work / "objects.csv")["tile"])
        assert record["tiles"] == 7 and record["train_tiles"] == 14
        assert trained_on.isdisjoint(held) and len(held) == 7
        assert (work / "work" / "detector.json").is_file()  # scorable by the scoring command
        metrics.append(work / "metrics.json")
        objects.append(work / "objects.csv")
    summary = summarise(
        metrics=metrics,
        objects=objects,
        table_out=tmp_path / "region_out.csv",
        summary_out=tmp_path / "region_out.json",
        provenance={},
    )
    table = pd.read_csv(tmp_path / "region_out.csv")
    assert table["band"].astype(str).tolist() == ["0", "1", "2", "pooled"]
    pooled = summary["pooled"]
    assert pooled["tiles"] == 21 and pooled["objects"] == sum(len(pd.read_csv(p)) for p in objects)
    found = pd.concat([pd.read_csv(p) for p in objects])
    assert pooled["object_recall_half_area"] == pytest.approx(found["found_half_area"].mean())
    assert json.loads((tmp_path / "region_out.json").read_text())["pooled"] == pooled


def test_per_tile_scaling_removes_a_tile_wide_gain():
    rng = np.random.default_rng(0)
    stack = rng.normal(1000, 200, (3, 64, 64)).clip(1, None).astype(np.float32)
    valid = np.ones((64, 64), dtype=bool)
    fitted = Scaling.fit([(stack, valid)], ["B4", "B3", "B2"])
    per_tile = Scaling.fit([(stack, valid)], ["B4", "B3", "B2"], per_tile=True)
    brighter = stack * 1.6 + 300
    assert (
        np.abs(per_tile.apply(brighter, valid).astype(int) - per_tile.apply(stack, valid)).max()
        <= 1
    )
    assert (fitted.apply(brighter, valid) == 255).mean() > 0.5  # the fitted stretch saturates


def test_per_tile_scaling_is_recorded_and_read_back(tmp_path):
    scaling = Scaling((("B4"),), (1.0,), (2.0,), (1.0, 99.0), True)
    scaling.save(tmp_path / "scaling.json", {})
    assert Scaling.load(tmp_path / "scaling.json").per_tile is True


@needs_sentinel2
def test_real_mine_free_scenes_join_training_as_empty_images(tmp_path):
    folder = labelled_folder(tmp_path / "tiles", count=10)
    build_dataset(
        tiles=tile_table_from_folder(folder),
        channels=["B4", "B3", "B2"],
        provenance={},
        negatives=SHARED / "sentinel2" / "virginia_l1c",
        **dataset_paths(tmp_path),
        **{**DATASET_OPTIONS, "chip_px": 448},
    )
    dataset = tmp_path / "dataset"
    negatives = sorted((dataset / "labels").glob("negative_*.txt"))
    assert len(negatives) >= 9 and all(p.read_text() == "" for p in negatives)
    listed = (dataset / "train_all.txt").read_text()
    assert all(f"images/{p.stem}.tif" in listed for p in negatives)
    assert "negative_" not in (dataset / "fold0_val.txt").read_text()
