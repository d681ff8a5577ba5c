"""Scanning images with the patch CNN: windows, stride, no-data windows, georeferenced output."""

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from minescan.chips.cnn import TrainSettings, fit_ensemble, save_models
from minescan.chips.raster import score_tile, score_windows, window_transform
from minescan.errors import MinescanInputError
from minescan.outputs import read_provenance

BANDS = ("B2", "B3", "B4", "B8", "B11", "B12")


@pytest.fixture(scope="module")
def ensemble():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    chips = rng.integers(100, 3000, (16, 48, 48, 6)).astype(np.float32)
    y = (np.arange(16) % 2).astype(float)
    settings = TrainSettings(width=4, epochs=1, patience=1, batch_size=8)
    return fit_ensemble("patch", chips[:12], y[:12], chips[12:], y[12:], settings, [0])


def test_windows_at_a_stride_match_chip_scores(ensemble):
    image = np.random.default_rng(1).integers(100, 3000, (120, 144, 6)).astype(np.float32)
    grid = score_windows(ensemble, image, stride=24)
    assert grid.shape == ((120 - 48) // 24 + 1, (144 - 48) // 24 + 1)
    expected = ensemble.probability(image[None, 24:72, 48:96])[0]
    assert grid[1, 2] == pytest.approx(expected, abs=1e-6)
    image[:60, :60] = 0  # windows mostly without data are not scored
    assert np.isnan(score_windows(ensemble, image, stride=24)[0, 0])


def test_too_small_images_are_clear_errors(ensemble):
    with pytest.raises(MinescanInputError, match="cannot hold"):
        score_windows(ensemble, np.ones((40, 80, 6), np.float32), stride=24)


def test_window_grid_sits_on_the_window_centres():
    transform = window_transform(from_origin(1000, 2000, 10, 10), stride=24)
    # first output pixel spans input pixels 12..36: the centre 24 px of the first window
    assert (transform.c, transform.f, transform.a) == (1120, 1880, 240)


def test_score_tile_writes_a_georeferenced_probability_raster(ensemble, tmp_path):
    data = np.random.default_rng(2).integers(100, 3000, (7, 96, 96)).astype(np.uint16)
    names = [*BANDS[:3], "B5", *BANDS[3:]]
    tile = tmp_path / "tile.tif"
    with rasterio.open(
        tile,
        "w",
        driver="GTiff",
        width=96,
        height=96,
        count=7,
        dtype="uint16",
        crs="EPSG:32721",
        transform=from_origin(500000, 9000000, 10, 10),
    ) as dst:
        dst.write(data)
        for i, name in enumerate(names, start=1):
            dst.set_band_description(i, name)
    model = tmp_path / "m.pt"
    save_models({"presence": ensemble}, model, {"params": {}})
    out = tmp_path / "p.tif"
    grid = score_tile(model, tile, out, stride=16, provenance={"params": {"stride": 16}})
    with rasterio.open(out) as src:
        assert src.shape == grid.shape == (4, 4) and src.res == (160, 160)
        assert src.crs.to_epsg() == 32721 and src.transform.c == 500000 + 160
    assert read_provenance(out) == {"params": {"stride": 16}}
    with rasterio.open(tile, "r+") as dst:
        dst.set_band_description(7, "B12x")
    with pytest.raises(MinescanInputError, match=r"bands \['B12'\] are missing"):
        score_tile(model, tile, out, stride=16, provenance={})
