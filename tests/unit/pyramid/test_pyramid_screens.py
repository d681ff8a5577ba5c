"""The pyramid's screens scoring one tile: the chip CNN's best window, the pixel model's
mine-like share, clear errors for missing models and bands, and the levels accepting them."""

from pathlib import Path

import numpy as np
import pytest
import torch

from minescan.chips.cnn import TrainSettings, fit_ensemble, save_models
from minescan.chips.raster import score_windows
from minescan.chips.shipped import SHIPPED_MODEL
from minescan.errors import MinescanInputError
from minescan.pixelmodels.features import Feature
from minescan.pixelmodels.model import LinearModel
from minescan.pyramid.levels import check_screen_inputs, pyramid_levels
from minescan.pyramid.screens import chip_cnn_score, load_screen, pixel_score

CHIP = ("B2", "B3", "B4", "B8", "B11", "B12")
TILE_BANDS = ("B2", "B3", "B4", "B5", "B8", "B11", "B12")
GRID = {"zoom_levels": [15, 16], "cell_size_m": 2560, "pixel_size_m": 10}


@pytest.fixture(scope="module")
def ensemble():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    chips = rng.integers(100, 3000, (16, 48, 48, 6)).astype(np.float32)
    y = (np.arange(16) % 2).astype(float)
    settings = TrainSettings(width=4, epochs=1, patience=1, batch_size=8)
    return fit_ensemble("patch", chips[:12], y[:12], chips[12:], y[12:], settings, [0])


def tile(seed=1, size=128):
    return np.random.default_rng(seed).integers(100, 3000, (len(TILE_BANDS), size, size))


def test_chip_cnn_score_is_the_best_half_stride_window(ensemble, tmp_path):
    data = tile()
    image = np.moveaxis(data[[TILE_BANDS.index(b) for b in CHIP]].astype(np.float32), 0, -1)
    windows = score_windows(ensemble, image, 24)
    assert windows.shape == (4, 4)  # 128 px at a 24 px stride: windows at 0, 24, 48, 72
    assert chip_cnn_score(ensemble, data, TILE_BANDS) == pytest.approx(windows.max())
    path = tmp_path / "cnn_model.pt"
    save_models({"presence": ensemble}, path, {"test": "screens"})
    screen = load_screen("chip_cnn", path)
    assert screen.score(data, TILE_BANDS) == pytest.approx(windows.max(), abs=1e-6)


def test_chip_cnn_needs_its_six_bands(ensemble):
    data = tile()[[0, 1, 2, 3, 4, 5]]  # B12 missing
    with pytest.raises(MinescanInputError, match=r"chip_cnn.*B12"):
        chip_cnn_score(ensemble, data, TILE_BANDS[:6])


def test_pixel_score_is_the_share_of_pixels_at_the_threshold():
    model = LinearModel(
        [Feature("B4", "B4")],
        np.array([1.0]),
        0.0,
        "identity",
        output_scale=1 / 3000,
        output_offset=0.0,
        meta={"threshold": 0.5},
    )
    data = np.zeros((len(TILE_BANDS), 10, 10), dtype=np.uint16)
    data[:, :, :] = 100
    data[2, :3, :] = 2900  # B4 bright on 30 of 100 pixels
    assert pixel_score(model, data, TILE_BANDS) == pytest.approx(0.3)
    data[:, 9, :] = 0  # a row without data does not count
    assert pixel_score(model, data, TILE_BANDS) == pytest.approx(3 / 9)


def test_missing_model_file_is_named(tmp_path):
    with pytest.raises(MinescanInputError, match="real_chips"):
        load_screen("chip_cnn", tmp_path / "none.pt")


def test_levels_take_chip_cnn_and_detector_per_level(ensemble, tmp_path):
    pyramid = {"levels": [15, 16], "screen": {15: "chip_cnn", 16: "detector"}}
    levels = pyramid_levels(GRID, pyramid)
    assert [lv.screen for lv in levels] == ["chip_cnn", "detector"]
    with pytest.raises(MinescanInputError, match="available: pixel, chip_cnn, detector"):
        pyramid_levels(GRID, {"levels": [15, 16], "screen": "cnn"})
    model = tmp_path / "cnn_model.pt"
    with pytest.raises(MinescanInputError, match="does not exist"):
        check_screen_inputs(levels[:1], {"chip_cnn": str(model)}, TILE_BANDS)
    save_models({"presence": ensemble}, model, {})
    with pytest.raises(MinescanInputError, match="lack \\['B11', 'B12'\\]"):
        check_screen_inputs(levels[:1], {"chip_cnn": str(model)}, ("B2", "B3", "B4", "B8"))
    check_screen_inputs(levels[:1], {"chip_cnn": str(model)}, TILE_BANDS)
    # the shipped RGB model reads its own three bands, by name
    shipped = str(Path(__file__).resolve().parents[3] / SHIPPED_MODEL)
    check_screen_inputs(levels[:1], {"chip_cnn": shipped}, ("B2", "B3", "B4"))
    with pytest.raises(MinescanInputError, match="lack \\['B4'\\]"):
        check_screen_inputs(levels[:1], {"chip_cnn": shipped}, ("B2", "B3", "B8"))


def test_cnn_screen_shard_writes_the_pixel_screens_columns(ensemble, tmp_path):
    import pandas as pd

    from minescan.cells import Cell
    from minescan.imagery.tile import CellImage, write_tile
    from minescan.probability.apply import SCORE_COLUMNS
    from minescan.pyramid.cnn_screen import cnn_screen_shard

    cell = Cell("c1", "c1", 16, 32721, 0.0, 0.0, 1280.0, 1280.0, 10.0)
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    data = tile(size=128).astype(np.uint16)
    write_tile(tiles / "c1.tif", cell, CellImage(TILE_BANDS, data), np.zeros((128, 128)), {})
    pd.DataFrame({"tile": ["c1.tif"], "status": ["ok"]}).to_csv(tmp_path / "s.csv", index=False)
    model = tmp_path / "cnn_model.pt"
    save_models({"presence": ensemble}, model, {"test": "screens"})
    frame = cnn_screen_shard(
        tiles_dir=str(tiles),
        status=str(tmp_path / "s.csv"),
        model=str(model),
        out_dir=str(tmp_path / "out"),
        scores=str(tmp_path / "scores.parquet"),
        provenance={"test": "screens"},
    )
    assert list(frame.columns) == list(SCORE_COLUMNS)
    row = frame.iloc[0]
    assert row["cell_id"] == "c1" and row["valid_pixels"] == 16  # 4 x 4 windows
    assert row["max_probability"] == pytest.approx(chip_cnn_score(ensemble, data, TILE_BANDS))
    assert (tmp_path / "out" / "c1.tif").is_file()


class BoxesDetector:
    """The detector's interface (``features``, ``image``, ``detect``) with fixed boxes."""

    def __init__(self, scores):
        self.features = [Feature("B4", "B4"), Feature("B3", "B3"), Feature("B2", "B2")]
        self.scores = scores

    def image(self, tile):
        return np.zeros((*tile.valid.shape, 3), dtype=np.uint8)

    def detect(self, pixels, confidence, iou, overlap, device):
        import pandas as pd

        return pd.DataFrame({"score": [s for s in self.scores if s >= confidence]})


def test_detector_score_is_the_best_box_and_zero_without_one():
    from minescan.ml.tiles import LabelledImage
    from minescan.pyramid.screens import detector_score

    data = tile(size=64)
    image = LabelledImage(TILE_BANDS, data, data.any(axis=0), None, None, None)
    assert detector_score(BoxesDetector([0.2, 0.7, 0.4]), image) == pytest.approx(0.7)
    assert detector_score(BoxesDetector([]), image) == 0.0
    rgbless = LabelledImage(("B8", "B11"), data[:2], data[0] > 0, None, None, None)
    with pytest.raises(MinescanInputError, match="detector screen needs"):
        detector_score(BoxesDetector([0.5]), rgbless)


def test_detector_screen_scores_a_fetched_cells_array():
    from minescan.pyramid.screens import Screen

    screen = Screen("detector", BoxesDetector([0.3, 0.6]))
    assert screen.score(tile(size=64), TILE_BANDS) == pytest.approx(0.6)


AMW_13 = (
    Path(__file__).resolve().parents[4]
    / "shared"
    / "data"
    / "models"
    / "amw"
    / "48px_v4.21-CNN100ka_2026-05-08ep179.h5"
)


@pytest.mark.skipif(not AMW_13.is_file(), reason=f"{AMW_13} is absent")
def test_amw_13_band_model_screens_a_level1c_tile_by_band_name(tmp_path):
    import pandas as pd

    from minescan.cells import Cell
    from minescan.chips.amw_models import load_amw_model
    from minescan.imagery.tile import CellImage, write_tile
    from minescan.pyramid.cnn_screen import cnn_screen_shard

    l1c = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
    cell = Cell("c1", "c1", 16, 32721, 0.0, 0.0, 1280.0, 1280.0, 10.0)
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    data = np.random.default_rng(3).integers(200, 4000, (13, 128, 128)).astype(np.uint16)
    write_tile(tiles / "c1.tif", cell, CellImage(l1c, data), np.zeros((128, 128)), {})
    pd.DataFrame({"tile": ["c1.tif"], "status": ["ok"]}).to_csv(tmp_path / "s.csv", index=False)
    frame = cnn_screen_shard(
        tiles_dir=str(tiles),
        status=str(tmp_path / "s.csv"),
        model=str(AMW_13),
        out_dir=str(tmp_path / "out"),
        scores=str(tmp_path / "scores.parquet"),
        provenance={},
    )
    # the tile's bands are read in AMW's order (B8A before B8, B10 after B9), not the file's
    order = [
        l1c.index(b)
        for b in ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8A", "B8", "B9", "B10", "B11", "B12")
    ]
    screen = load_amw_model("amw-13band-v4.21", AMW_13.parent)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.moveaxis(data[order], 0, -1).astype(np.float32), (48, 48), axis=(0, 1)
    )[::24, ::24]
    best = screen.probability(np.moveaxis(windows.reshape(-1, 13, 48, 48), 1, -1)).max()
    assert frame.iloc[0]["max_probability"] == pytest.approx(best, abs=1e-5)
    # a six-band tile lacks AMW's bands: named before any scoring
    levels = pyramid_levels(GRID, {"levels": [15, 16], "screen": "chip_cnn"})
    with pytest.raises(MinescanInputError, match="B10"):
        check_screen_inputs(levels, {"chip_cnn": str(AMW_13)}, TILE_BANDS)
