"""Local backend on the real Sentinel-2 scenes in shared/data: band order, resampling, scale,
reprojection, and every kind of bad input named with its cell and file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.imagery import (
    BRANDENBURG,
    VIRGINIA,
    cell_row,
    needs_sentinel2,
    virginia_rows,
    write_cells,
)
from fixtures.imagery import rectangle_polygons as write_rectangles
from rasterio.warp import calculate_default_transform, reproject

from minescan.cells import cell_from_row
from minescan.imagery.backends.local import LocalBackend, index_folder
from minescan.imagery.errors import ShardFailed
from minescan.imagery.tiles import make_shard_tiles

BANDS = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12")


def linked_scene(folder: Path, bands=BANDS, skip=()) -> Path:
    """The Virginia scene's band files linked into ``folder`` (bands in ``skip`` left out)."""
    folder.mkdir(parents=True, exist_ok=True)
    for band in bands:
        token = f"B{int(band[1:]):02d}" if band[1:].isdigit() else band
        if band not in skip:
            (folder / f"s2_{token}.tif").symlink_to(VIRGINIA / f"s2_{token}.tif")
    return folder


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


@pytest.fixture(scope="module")
def virginia_tile():
    cell = cell_from_row(virginia_rows()[0])
    return cell, LocalBackend(path=VIRGINIA, patterns=("s2_B*.tif",)).fetch(cell, None)


@needs_sentinel2
def test_10m_bands_are_copied_pixel_for_pixel_in_config_order(virginia_tile):
    cell, image = virginia_tile
    assert image.bands == BANDS
    # The cell's corner (440000, 4170000) is column 427, row 946 of the 10 m band files.
    for band, token in (("B2", "B02"), ("B4", "B04"), ("B8", "B08")):
        source = read(VIRGINIA / f"s2_{token}.tif")[946 : 946 + 128, 427 : 427 + 128]
        assert np.array_equal(image.data[BANDS.index(band)], source)


@needs_sentinel2
def test_20m_and_60m_bands_are_resampled_to_10m(virginia_tile):
    cell, image = virginia_tile
    rows, cols = np.mgrid[0:128, 0:128]
    x = cell.xmin + (cols + 0.5) * 10
    y = cell.ymax - (rows + 0.5) * 10
    for band, token, origin_x, origin_y, res in (
        ("B5", "B05", 435720, 4179460, 20),
        ("B12", "B12", 435720, 4179460, 20),
        ("B9", "B09", 435720, 4179480, 60),
    ):
        source = read(VIRGINIA / f"s2_{token}.tif")
        expected = source[((origin_y - y) // res).astype(int), ((x - origin_x) // res).astype(int)]
        assert np.array_equal(image.data[BANDS.index(band)], expected)  # nearest: values kept


@needs_sentinel2
def test_coarser_pixels_average_the_10m_pixels(virginia_tile):
    """A pyramid level at 20 m: each pixel is the mean of the four 10 m pixels it covers."""
    cell, fine = virginia_tile
    coarse_cell = cell_from_row(virginia_rows()[0], pixel_size=20)
    coarse = LocalBackend(path=VIRGINIA, bands=("B4",), patterns=("s2_B*.tif",)).fetch(
        coarse_cell, None
    )
    assert coarse.data.shape == (1, 64, 64)
    red = fine.data[BANDS.index("B4")].astype(float)
    means = red.reshape(64, 2, 64, 2).mean(axis=(1, 3))
    assert np.abs(coarse.data[0] - means).max() <= 1


@needs_sentinel2
def test_scale_and_offset_bring_float_reflectance_to_uint16(tmp_path, virginia_tile):
    cell, image = virginia_tile
    with rasterio.open(VIRGINIA / "s2_B04.tif") as src:
        profile = {**src.profile, "dtype": "float32"}
        values = src.read(1).astype(np.float32) / 10000 - 0.1  # reflectance with an offset
    with rasterio.open(tmp_path / "s2_B04.tif", "w", **profile) as dst:
        dst.write(values, 1)
    backend = LocalBackend(path=tmp_path, bands=("B4",), scale=10000, offset=1000)
    scaled = backend.fetch(cell, None)
    assert np.abs(scaled.data[0].astype(int) - image.data[BANDS.index("B4")]).max() <= 1


@needs_sentinel2
def test_raster_in_another_crs_is_reprojected(tmp_path, virginia_tile):
    cell, image = virginia_tile
    with rasterio.open(VIRGINIA / "s2_B04.tif") as src:
        crs = "EPSG:32617"
        transform, width, height = calculate_default_transform(
            src.crs, crs, src.width, src.height, *src.bounds, resolution=10
        )
        out = np.zeros((height, width), dtype=np.uint16)
        reproject(rasterio.band(src, 1), out, dst_transform=transform, dst_crs=crs)
        profile = {**src.profile, "crs": crs, "transform": transform, "width": width}
    with rasterio.open(tmp_path / "s2_B04.tif", "w", **{**profile, "height": height}) as dst:
        dst.write(out, 1)
    warped = LocalBackend(path=tmp_path, bands=("B4",), resampling="bilinear").fetch(cell, None)
    original = image.data[BANDS.index("B4")].astype(float)
    assert np.corrcoef(warped.data[0].ravel(), original.ravel())[0, 1] > 0.9
    assert abs(np.median(warped.data[0]) - np.median(original)) < 20


@needs_sentinel2
def test_sentinel2_product_band_files_group_into_one_scene():
    scenes = index_folder(BRANDENBURG)
    assert len(scenes) == 1
    assert {"B1", "B2", "B8A", "B10", "B12"} <= set(scenes[0].bands)
    row = cell_row(32633, 335000, 5820000, 1280)
    bands = ("B2", "B10", "B8A")
    image = LocalBackend(path=BRANDENBURG, bands=bands).fetch(cell_from_row(row), None)
    assert image.data.shape == (3, 128, 128) and image.valid.all()
    b10 = image.data[1]  # 60 m cirrus on the 10 m grid: 6 x 6 blocks of one value
    assert len(np.unique(b10[:6, 4:10])) == 1  # 335000 is 20 m into a 60 m pixel


def run_shard(tmp_path: Path, folder: Path, rows: list[dict], bands=BANDS) -> pd.DataFrame:
    polygons = write_rectangles(tmp_path, 32618, [(440300, 4169000, 440900, 4169700)])
    return make_shard_tiles(
        cells=write_cells(tmp_path, rows),
        polygons=polygons,
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery={"backend": "local", "bands": list(bands), "local": {"path": str(folder)}},
    )


def assert_no_partial_tiles(tmp_path: Path) -> None:
    leftovers = [p.name for p in (tmp_path / "tiles").glob("*") if not p.name.endswith(".tif")]
    assert leftovers == []
    assert not list((tmp_path / "tiles").glob(".*"))


@needs_sentinel2
def test_cell_outside_the_imagery_and_all_nodata_cell_are_recorded(tmp_path):
    folder = tmp_path / "scene"
    folder.mkdir()
    with rasterio.open(VIRGINIA / "s2_B04.tif") as src:
        profile, data = src.profile, src.read(1)
    data[:300, :300] = 0  # a no-data corner (Sentinel-2 encodes no data as 0)
    with rasterio.open(folder / "s2_B04.tif", "w", **profile) as dst:
        dst.write(data, 1)
    rows = [
        *virginia_rows(),
        cell_row(32618, 435730, 4179460, 1280, label="negative"),  # in the no-data corner
        cell_row(32618, 600000, 4170000, 1280, label="negative"),  # far east of the scene
    ]
    status = run_shard(tmp_path, folder, rows, bands=("B4",))
    assert status["status"].tolist() == ["ok", "ok", "no_data", "not_covered"]
    assert "valid pixels" in status["reason"][2] and str(folder) in status["reason"][3]
    assert sorted(p.name for p in (tmp_path / "tiles").glob("*.tif")) == sorted(
        f"{r['cell_id']}.tif" for r in rows[:2]
    )
    with rasterio.open(tmp_path / "tiles" / f"{rows[0]['cell_id']}.tif") as src:
        mine = src.read(2)
        assert 0 < mine.sum() < mine.size and src.tags()["backend"] == "local"


@needs_sentinel2
def test_missing_band_names_band_cell_and_files(tmp_path):
    folder = linked_scene(tmp_path / "scene", skip=("B11",))
    with pytest.raises(ShardFailed, match=r"B11.*missing") as error:
        run_shard(tmp_path, folder, virginia_rows())
    assert "z14_32618" in str(error.value) and "s2_B02.tif" in str(error.value)
    assert_no_partial_tiles(tmp_path)


@needs_sentinel2
def test_raster_without_crs_is_named(tmp_path):
    folder = linked_scene(tmp_path / "scene", bands=("B2",))
    with rasterio.open(VIRGINIA / "s2_B03.tif") as src:
        profile = {**src.profile, "crs": None}
        data = src.read()
    with rasterio.open(folder / "s2_B03.tif", "w", **profile) as dst:
        dst.write(data)
    with pytest.raises(ShardFailed, match=r"s2_B03.tif: raster has no CRS"):
        run_shard(tmp_path, folder, virginia_rows(), bands=("B2", "B3"))


@needs_sentinel2
def test_corrupt_file_is_named(tmp_path):
    folder = linked_scene(tmp_path / "scene", bands=("B2",))
    (folder / "s2_B03.tif").write_bytes(b"II*\x00" + b"\x17" * 5000)
    with pytest.raises(ShardFailed, match=r"s2_B03.tif: cannot be opened"):
        run_shard(tmp_path, folder, virginia_rows(), bands=("B2", "B3"))


@needs_sentinel2
def test_truncated_file_names_cell_and_file_and_leaves_no_tile(tmp_path):
    folder = linked_scene(tmp_path / "scene", bands=("B2",))
    source = (VIRGINIA / "s2_B03.tif").read_bytes()
    (folder / "s2_B03.tif").write_bytes(source[: len(source) // 3])
    rows = virginia_rows()
    with pytest.raises(ShardFailed, match=r"s2_B03.tif: cell z14_32618_\w+: band B3") as e:
        run_shard(tmp_path, folder, rows[:1], bands=("B2", "B3"))
    assert "corrupt or truncated" in str(e.value)
    assert_no_partial_tiles(tmp_path)


@needs_sentinel2
def test_multiband_export_with_band_descriptions(tmp_path, virginia_tile):
    """The seed's GEE exports: one GeoTIFF per cell, bands named, plus a _mine band (ignored)."""
    cell, image = virginia_tile
    profile = {
        "driver": "GTiff",
        "width": 128,
        "height": 128,
        "count": 3,
        "dtype": "uint16",
        "crs": cell.crs,
        "transform": cell.transform,
    }
    with rasterio.open(tmp_path / "export.tif", "w", **profile) as dst:
        dst.write(np.stack([image.data[2], image.data[0], np.ones((128, 128), np.uint16)]))
        dst.descriptions = ("B4", "B2", "_mine")
    again = LocalBackend(path=tmp_path, bands=("B2", "B4")).fetch(cell, None)
    assert np.array_equal(again.data, image.data[[0, 2]])
    shutil.rmtree(tmp_path)
