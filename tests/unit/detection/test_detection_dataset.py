"""YOLO datasets from minescan tiles and from a labelled folder; bad input."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
import yaml
from fixtures.detection import (
    BANDS,
    DATASET_OPTIONS,
    dataset_paths,
    labelled_folder,
    synthetic_scene,
    write_minescan_tile,
    zoom_tiles,
)
from fixtures.imagery import TAILINGS, needs_tailings

from minescan.detection.dataset import build_dataset
from minescan.errors import MinescanInputError
from minescan.ml.labels import read_yolo_boxes
from minescan.ml.tile_tables import tile_table_from_folder


def build(tiles, root, channels=("B4", "B3", "B2"), **changes):
    return build_dataset(
        tiles=tiles,
        channels=list(channels),
        provenance={"test": True},
        **dataset_paths(root),
        **{**DATASET_OPTIONS, **changes},
    )


def test_a_zoom_levels_tiles_become_an_ultralytics_dataset(tmp_path):
    table = build(zoom_tiles(tmp_path / "tiles"), tmp_path / "out")
    out = tmp_path / "out" / "dataset"
    assert set(table["split"]) == {"train", "val", "test"}
    assert table.groupby("group")["split"].nunique().max() == 1
    for record in table.to_dict("records"):
        labels = out / "labels" / f"{record['tile']}.txt"
        assert len(read_yolo_boxes(labels, 128, 128)) == record["objects"]
        assert (out / "images" / f"{record['tile']}.tif").is_file()
    assert (table["objects"] == 0).sum() == 4  # mine-free cells get empty label files
    spec = yaml.safe_load((out / "dataset.yaml").read_text())
    assert spec["channels"] == 3 and spec["names"] == {0: "mine"} and spec["test"] == "test.txt"
    listed = (out / "train_all.txt").read_text().split()
    assert len(listed) == (table["split"] != "test").sum()
    scaling = json.loads((tmp_path / "out" / "scaling.json").read_text())
    assert scaling["channels"] == ["B4", "B3", "B2"] and scaling["minescan_provenance"]
    from ultralytics.utils.patches import imread

    image = imread(str(out / "images" / f"{table['tile'].iloc[0]}.tif"))
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8


def test_more_than_three_channels_are_multi_page_tiffs_ultralytics_reads(tmp_path):
    import cv2
    from ultralytics.utils.patches import imread

    table = build(zoom_tiles(tmp_path / "tiles"), tmp_path / "out", ["B4", "B3", "B2", "NDVI"])
    path = tmp_path / "out" / "dataset" / "images" / f"{table['tile'].iloc[0]}.tif"
    image = imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image.shape == (128, 128, 4)
    spec = yaml.safe_load((tmp_path / "out" / "dataset" / "fold1.yaml").read_text())
    assert spec["channels"] == 4


def test_large_tiles_are_cut_into_chips_of_the_image_size(tmp_path):
    tiles = zoom_tiles(tmp_path / "tiles", count=6, size=192)
    build(tiles, tmp_path / "out", chip_px=128, test_fraction=0.0)
    images = sorted((tmp_path / "out" / "dataset" / "images").glob("*.tif"))
    assert len(images) == 6 * 4 and images[0].name.endswith("_r0_c0.tif")


def test_a_labelled_folder_becomes_the_same_kind_of_dataset(tmp_path):
    folder = labelled_folder(tmp_path / "tailings", count=10)
    table = build(tile_table_from_folder(folder), tmp_path / "out")
    assert table["objects"].sum() >= 10 and set(table["split"]) == {"train", "val", "test"}
    assert (table["area_km2"] > 0.1).all()  # 128 x ~10 m pixels in EPSG:4326


def test_a_tile_without_valid_pixels_is_skipped_and_logged(tmp_path, caplog):
    tiles = zoom_tiles(tmp_path / "tiles")
    empty = write_minescan_tile(
        tmp_path / "tiles" / "empty.tif",
        np.zeros((len(BANDS), 128, 128), dtype=np.uint16),
        np.zeros((128, 128), dtype=np.uint8),
        99,
    )
    extra = tiles.iloc[:1].assign(tile="empty", image=str(empty), longitude=130.0)
    with caplog.at_level(logging.WARNING):
        table = build(pd.concat([tiles, extra], ignore_index=True), tmp_path / "out")
    assert "empty.tif: no valid pixels; skipped" in caplog.text
    assert "empty" not in set(table["tile"])
    summary = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert summary["skipped_no_data"] == 1


def test_a_tile_without_mine_band_is_a_clear_error(tmp_path):
    tiles = zoom_tiles(tmp_path / "tiles")
    data, _ = synthetic_scene(128, np.random.default_rng(0), 1)
    bare = write_minescan_tile(tmp_path / "tiles" / "bare.tif", data, None, 50)
    tiles.loc[3, "image"] = str(bare)
    with pytest.raises(MinescanInputError, match="bare.tif: no _mine band and no mask"):
        build(tiles, tmp_path / "out")
    assert not (tmp_path / "out" / "tiles.csv").exists()


def test_a_zoom_level_with_no_positive_tile_is_a_clear_error(tmp_path):
    tiles = zoom_tiles(tmp_path / "tiles")
    with pytest.raises(MinescanInputError, match="no tile has a mine region of at least"):
        build(tiles, tmp_path / "out", min_object_pixels=10**6)
    assert not (tmp_path / "out" / "scaling.json").exists()


def test_fewer_tiles_than_folds_is_a_clear_error(tmp_path):
    tiles = zoom_tiles(tmp_path / "tiles", count=3)
    with pytest.raises(MinescanInputError, match="3 tiles for 5 folds"):
        build(tiles, tmp_path / "out", folds=5)


def test_an_unknown_channel_is_a_clear_error(tmp_path):
    with pytest.raises(MinescanInputError, match="unknown channel 'NIR'"):
        build(zoom_tiles(tmp_path / "tiles", count=4), tmp_path / "out", ["B4", "NIR"])


def test_a_folder_without_its_index_or_with_a_missing_mask_is_a_clear_error(tmp_path):
    with pytest.raises(MinescanInputError, match="tiles.csv: not found"):
        tile_table_from_folder(tmp_path)
    folder = labelled_folder(tmp_path / "tailings", count=4)
    (folder / "masks" / "tile_002.tif").unlink()
    with pytest.raises(MinescanInputError, match=r"line 4: mask masks/tile_002.tif not found"):
        tile_table_from_folder(folder)


@needs_tailings
def test_the_real_tailings_folder_becomes_a_dataset(tmp_path):
    tiles = tile_table_from_folder(TAILINGS).iloc[:24]
    table = build(tiles, tmp_path / "out", chip_px=448, block_km=50, min_object_pixels=20)
    index = pd.read_csv(TAILINGS / "tiles.csv").set_index("tile")
    assert (table["objects"] >= 1).all()
    assert (table["objects"] <= table["tile"].map(index["objects"])).all()
    assert (table["width"] == 448).all()
