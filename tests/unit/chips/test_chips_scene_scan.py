"""Scanning real Level-1C scene folders with AMW's published models: band reading and
resampling, the score grid, refused scenes, and the alarm counts and spatial prior."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from minescan.chips.amw_models import AMW_13, load_amw_model
from minescan.chips.scene_scan import alarm_counts, dual_threshold, read_scene, scan_scene
from minescan.errors import MinescanInputError

CROP = (800, 700, 168, 216)  # row, col, height, width on the 10 m grid


@pytest.fixture(scope="module")
def model_13(shared_data):
    return load_amw_model("amw-13band-v4.21", shared_data / "models" / "amw")


def test_13_band_model_scans_a_crop_of_the_virginia_scene(shared_data, model_13):
    scene = shared_data / "sentinel2" / "virginia_l1c"
    figures = scan_scene(model_13, scene, stride=24, crop=CROP)
    grid = figures["grid"]
    # (168 - 48) // 24 + 1 = 6 rows, (216 - 48) // 24 + 1 = 8 columns of windows
    assert grid.shape == (6, 8)
    assert np.isfinite(grid).all()
    assert ((grid >= 0) & (grid <= 1)).all()
    assert figures["windows_scored"] == 48
    assert figures["valid_km2"] == pytest.approx(168 * 216 * 100 / 1e6)
    # The window at grid (2, 3) is image rows 48..96, columns 72..120, scored from the same
    # digital numbers read directly
    image, transform, _ = read_scene(scene, AMW_13, crop=CROP)
    direct = model_13.probability(image[None, 48:96, 72:120])
    assert grid[2, 3] == pytest.approx(float(direct[0]), abs=1e-6)
    # The grid's georeference: cell (0, 0) is centred on the first window's centre pixel
    assert figures["transform"] @ (0.5, 0.5) == pytest.approx(transform @ (24, 24))


def test_20_and_60_m_bands_are_brought_to_the_10_m_grid(shared_data):
    scene = shared_data / "sentinel2" / "brandenburg_l1c"
    image, transform, crs = read_scene(scene, ("B02", "B8A", "B10"), crop=(120, 240, 60, 60))
    assert image.shape == (60, 60, 3)
    assert transform.a == 10.0 and crs.to_epsg() == 32633
    # The grids share their origin: nearest neighbour copies 20 m pixel (r // 2, c // 2) and
    # 60 m pixel (r // 6, c // 6) of the original rasters
    folder = scene / "IMG_DATA"
    with rasterio.open(next(folder.glob("*_B8A.jp2"))) as src:
        b8a = src.read(1)[60:90, 120:150]
    with rasterio.open(next(folder.glob("*_B10.jp2"))) as src:
        b10 = src.read(1)[20:30, 40:50]
    np.testing.assert_array_equal(image[..., 1], np.repeat(np.repeat(b8a, 2, 0), 2, 1))
    np.testing.assert_array_equal(image[..., 2], np.repeat(np.repeat(b10, 6, 0), 6, 1))


def test_a_scene_missing_a_band_is_refused_naming_it(shared_data, model_13, tmp_path):
    for path in (shared_data / "sentinel2" / "virginia_l1c").glob("s2_B*.tif"):
        if path.stem != "s2_B10":
            (tmp_path / path.name).symlink_to(path)
    with pytest.raises(MinescanInputError, match=r"band\(s\) B10 missing"):
        scan_scene(model_13, tmp_path)


def test_windows_above_a_threshold_and_their_8_connected_sites():
    alarms = np.zeros((6, 6), dtype=bool)
    alarms[0, 0] = alarms[1, 1] = True  # diagonal neighbours: one site
    alarms[4, 4] = True
    counts = alarm_counts(alarms, km2=50.0)
    assert counts == {
        "windows": 3,
        "sites": 2,
        "windows_per_100km2": 6.0,
        "sites_per_100km2": 4.0,
    }


def test_dual_threshold_keeps_isolated_windows_only_above_the_stricter_threshold():
    grid = np.zeros((200, 200), dtype=np.float32)
    grid[10:12, 10:13] = 0.5  # six neighbours within 3 km of each other: kept at t_main
    grid[150, 150] = 0.7  # isolated, below t_iso: dropped
    grid[150, 20] = 0.8  # isolated, above t_iso: kept
    transform = Affine(240.0, 0, 0, 0, -240.0, 0)  # 240 m cells (24 px of 10 m)
    kept = dual_threshold(grid, transform, t_main=0.43, t_iso=0.75)
    assert kept[10:12, 10:13].all()
    assert not kept[150, 150] and kept[150, 20]
    assert kept.sum() == 7


def test_command_writes_the_score_raster_and_figures(shared_data, tmp_path):
    import json

    from minescan.chips.amw_models import main
    from minescan.outputs import read_provenance

    scene = shared_data / "sentinel2" / "brandenburg_l1c"
    model_dir = shared_data / "models" / "amw"
    main(["--model", "amw-rgb-44px-v2.6", "--scene", str(scene), "--out", str(tmp_path),
          "--model-dir", str(model_dir)])  # fmt: skip
    with rasterio.open(tmp_path / "amw-rgb-44px-v2.6_brandenburg_l1c.tif") as src:
        grid = src.read(1)
        # 768 x 1536 px at a 22 px stride of 44 px windows: 33 x 68 window centres
        assert grid.shape == (33, 68) and src.descriptions == ("mine_probability",)
        assert src.transform.a == 220.0 and src.crs.to_epsg() == 32633
    figures = json.loads((tmp_path / "amw-rgb-44px-v2.6_brandenburg_l1c.json").read_text())
    above = int((np.nan_to_num(grid) >= 0.8).sum())
    assert figures["thresholds"]["log"]["windows"] == above
    assert figures["windows_scored"] == int(np.isfinite(grid).sum())
    assert read_provenance(tmp_path / "amw-rgb-44px-v2.6_brandenburg_l1c.tif")["inputs"]["model"]
