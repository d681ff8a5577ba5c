"""Bad labelled input and mismatched models fail with a message naming the file and the fix,
before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import torch
from fixtures.detection import labelled_folder, write_minescan_tile
from rasterio.transform import from_origin

from minescan.errors import MinescanInputError
from minescan.footprints.data import check_mask, labelled_tiles
from minescan.footprints.model import Segmenter, build_network, load_segmenter
from minescan.footprints.steps import predict_shard
from minescan.ml.channels import Scaling
from minescan.ml.tile_tables import tile_table_from_folder
from minescan.pixelmodels.features import Feature


def rewrite_mask(path, data, crs="EPSG:4326", transform=None):
    with rasterio.open(path) as src:
        transform = transform or src.transform
    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1}
    with rasterio.open(path, "w", dtype="uint8", crs=crs, transform=transform, **profile) as dst:
        dst.write(data[None].astype(np.uint8))


@pytest.fixture
def folder(tmp_path):
    return labelled_folder(tmp_path / "tiles", count=6, size=64)


def first(folder):
    table = pd.read_csv(folder / "tiles.csv")
    return folder / table["image"][0], folder / table["mask"][0]


def test_a_mask_of_another_shape_is_refused(folder):
    image, mask = first(folder)
    rewrite_mask(mask, np.zeros((60, 64)))
    with pytest.raises(MinescanInputError, match=r"tile_000.tif: mask is 60 x 64 px"):
        check_mask(image, mask)


def test_a_mask_in_another_crs_is_refused(folder):
    image, mask = first(folder)
    rewrite_mask(mask, np.zeros((64, 64)), crs="EPSG:32723")
    with pytest.raises(MinescanInputError, match="mask CRS EPSG:32723 differs"):
        check_mask(image, mask)


def test_a_mask_on_a_shifted_grid_is_refused(folder):
    image, mask = first(folder)
    rewrite_mask(mask, np.zeros((64, 64)), transform=from_origin(-40.0, -15.0, 9e-5, 9e-5))
    with pytest.raises(MinescanInputError, match="mask grid .* differs"):
        check_mask(image, mask)


def test_mask_values_other_than_0_and_1_are_refused_by_the_training_table(folder):
    _, mask = first(folder)
    values = np.zeros((64, 64))
    values[10:20, 10:20] = 255  # a mask exported as 0/255
    rewrite_mask(mask, values)
    with pytest.raises(MinescanInputError, match=r"tile_000.tif: mask holds values \[255\]"):
        labelled_tiles(tile_table_from_folder(folder), min_object_pixels=4)


def saved_model(path, channels=("B4", "B3", "B2")):
    net = build_network("unet", "tu-mobilenetv3_small_050", len(channels), 3)
    features = [Feature(c, c) for c in channels]
    scaling = Scaling(tuple(channels), (0.0,) * len(channels), (3000.0,) * len(channels))
    Segmenter(net, "unet", "tu-mobilenetv3_small_050", 3, features, scaling, 0.5).save(path, {})
    return path


def test_a_model_trained_on_other_channels_is_refused(tmp_path):
    model = saved_model(tmp_path / "model.pt")
    with pytest.raises(MinescanInputError, match=r"model.pt: the model was trained on channels"):
        load_segmenter(model, ["B4", "B3", "B8"])
    assert load_segmenter(model, ["B4", "B3", "B2"]).channels == ["B4", "B3", "B2"]


def test_a_file_that_is_no_model_is_refused(tmp_path):
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(MinescanInputError, match="not a minescan segmentation model"):
        load_segmenter(tmp_path / "other.pt")


def test_min_area_below_a_pixel_fails_the_shard_before_anything_is_written(tmp_path):
    tiles = tmp_path / "tiles" / "s0"
    tiles.mkdir(parents=True)
    rng = np.random.default_rng(0)
    data = rng.integers(100, 3000, (3, 64, 64)).astype(np.uint16)
    write_minescan_tile(tiles / "c0.tif", data, None, 0, bands=("B2", "B3", "B4"))
    status = tmp_path / "s0.status.csv"
    pd.DataFrame({"cell_id": ["c0"], "tile": ["c0.tif"], "status": ["ok"]}).to_csv(status)
    out = tmp_path / "results" / "s0"
    with pytest.raises(MinescanInputError, match="footprints.min_area_m2"):
        predict_shard(
            tiles_dir=str(tiles),
            status=str(status),
            model=str(saved_model(tmp_path / "model.pt")),
            out_dir=str(out),
            parquet=str(tmp_path / "results" / "s0.parquet"),
            channels=None,
            window_px=64,
            overlap_px=16,
            min_area_m2=10.0,  # pixels are 100 m²
            zoom=16,
            epoch="2019",
            provenance={},
        )
    assert not (tmp_path / "results").exists()


def footprints_config(**changes):
    import yaml

    repo = Path(__file__).resolve().parents[3]
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    config["footprints"].update(changes)
    return config


def test_an_epoch_that_is_not_configured_stops_the_run():
    from minescan.config import check_config

    config = footprints_config(predict={"cellsets": ["training"], "epochs": ["2031"]})
    with pytest.raises(MinescanInputError, match=r"footprints.predict.epochs \['2031'\]"):
        check_config(config)


def test_deploying_an_architecture_that_is_not_trained_stops_the_run():
    from minescan.config import check_config

    with pytest.raises(MinescanInputError, match="footprints.deploy 'fpn'"):
        check_config(footprints_config(deploy="fpn"))
