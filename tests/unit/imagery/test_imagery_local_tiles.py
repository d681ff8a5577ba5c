"""Tiles from the real Virginia scene: the pixels GDAL reads from the source, band by band, with
the tile's metadata; windowed reads give the warp's pixels; the uint16 and float paths agree."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from fixtures.imagery import VIRGINIA, cell_row, needs_sentinel2, rectangle_polygons, write_cells
from rasterio.transform import from_origin
from rasterio.warp import Resampling, reproject
from rio_cogeo.cogeo import cog_validate

from minescan.cells import cell_from_row
from minescan.imagery.backends.local import LocalBackend
from minescan.imagery.backends.local_read import aligned_window, read_band
from minescan.imagery.bands import DEFAULT_BANDS, MINE_BAND
from minescan.imagery.tiles import make_shard_tiles
from minescan.outputs import PROVENANCE_KEY

MINE_BOX = (440300, 4169000, 440900, 4169700)


def band_file(band: str):
    token = f"B{int(band[1:]):02d}" if band[1:].isdigit() else band
    return VIRGINIA / f"s2_{token}.tif"


def source_pixels(band: str, xmin: float, ymax: float, size: int) -> np.ndarray:
    """The band's value at each 10 m pixel centre of a cell, read straight from the file
    (0 outside it): the nearest rule, without GDAL's warper or windowed reads."""
    with rasterio.open(band_file(band)) as src:
        full, t = src.read(1), src.transform
    x = xmin + (np.arange(size) + 0.5) * 10
    y = ymax - (np.arange(size) + 0.5) * 10
    cols, rows = np.floor((x - t.c) / t.a).astype(int), np.floor((t.f - y) / -t.e).astype(int)
    inside = (rows[:, None] >= 0) & (rows[:, None] < full.shape[0])
    inside = inside & (cols[None, :] >= 0) & (cols[None, :] < full.shape[1])
    values = full[np.clip(rows, 0, full.shape[0] - 1)][:, np.clip(cols, 0, full.shape[1] - 1)]
    return np.where(inside, values, 0)


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("virginia_tiles")
    rows = [
        # Inside the scene; its edges are 40 m into a 60 m pixel of B9 (a fractional window).
        cell_row(32618, 440000, 4170000, 1280, label="positive", shard="v"),
        # Across the scene's west edge (435730): a third of it has no data.
        cell_row(32618, 435300, 4175000, 1280, label="negative", shard="v"),
    ]
    imagery = {
        "backend": "local",
        "bands": list(DEFAULT_BANDS),
        "local": {"path": str(VIRGINIA), "patterns": ["s2_B*.tif"]},
    }
    status = make_shard_tiles(
        cells=write_cells(tmp, rows),
        polygons=rectangle_polygons(tmp, 32618, [MINE_BOX]),
        shard="v",
        tiles_dir=tmp / "tiles",
        status=tmp / "status.csv",
        imagery=imagery,
    )
    return tmp, rows, status, imagery


@needs_sentinel2
def test_tiles_hold_the_source_pixels_and_no_data_where_any_band_lacks_it(tiles):
    tmp, rows, status, _ = tiles
    assert status["status"].tolist() == ["ok", "ok"]
    for row in rows:
        expected = np.stack(
            [source_pixels(b, row["xmin"], row["ymax"], 128) for b in DEFAULT_BANDS]
        )
        expected[:, np.any(expected == 0, axis=0)] = 0  # a pixel is valid in all bands or none
        with rasterio.open(tmp / "tiles" / f"{row['cell_id']}.tif") as src:
            data = src.read()
        assert np.array_equal(data[: len(DEFAULT_BANDS)], expected), row["cell_id"]
    edge = status.iloc[1]
    assert 0.55 < edge["valid_fraction"] < 0.75  # (435300 + 1280 - 435730) / 1280 = 66 %
    assert status.iloc[0]["valid_fraction"] == 1.0


@needs_sentinel2
def test_tiles_are_valid_cogs_with_grid_names_nodata_and_provenance(tiles):
    tmp, rows, _, imagery = tiles
    for row in rows:
        path = tmp / "tiles" / f"{row['cell_id']}.tif"
        assert cog_validate(str(path), quiet=True)[0]
        with rasterio.open(path) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert src.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "ZSTD"
            assert src.crs.to_epsg() == 32618
            assert src.transform == from_origin(row["xmin"], row["ymax"], 10, 10)
            assert src.descriptions == (*DEFAULT_BANDS, MINE_BAND)
            assert src.nodatavals == (0,) * (len(DEFAULT_BANDS) + 1)
            assert [src.tags(i)["band"] for i in range(1, len(DEFAULT_BANDS) + 1)] == list(
                DEFAULT_BANDS
            )
            tags = src.tags()
            mine = src.read(src.count)
        assert tags["backend"] == "local" and tags["scenes"] == "s2"  # the files' stem
        assert tags["cell_id"] == row["cell_id"] and tags["simulated"] == "false"
        assert json.loads(tags[PROVENANCE_KEY])["params"]["imagery"] == imagery
        x = row["xmin"] + (np.arange(128) + 0.5) * 10
        y = row["ymax"] - (np.arange(128) + 0.5) * 10
        inside = (y[:, None] > MINE_BOX[1]) & (y[:, None] < MINE_BOX[3])
        inside = inside & (x[None, :] > MINE_BOX[0]) & (x[None, :] < MINE_BOX[2])
        assert np.array_equal(mine, inside.astype(np.uint16))


@needs_sentinel2
@pytest.mark.parametrize(
    ("band", "pixel", "aligned"),
    [
        ("B2", 10, 12),  # 10 m onto 10 m
        ("B5", 10, 12),  # 20 m onto 10 m
        ("B9", 10, 12),  # 60 m onto 10 m: fractional windows
        ("B9", 20, 6),  # 60 m onto 20 m: cells with edges on the band's 20 m subgrid only
    ],
)
def test_windowed_nearest_reads_give_the_warps_pixels(band, pixel, aligned):
    """Every offset of a cell against the band's pixels that ``aligned_window`` accepts gives
    GDAL's warp's pixels, as uint16 and as float; cells off the grid are left to the warp."""
    method = Resampling.nearest
    accepted = 0
    with rasterio.open(band_file(band)) as src:
        for dx in range(0, 120, 10):
            row = cell_row(32618, 441600 + dx, 4170000 - dx, 1280)
            cell = cell_from_row(row, pixel_size=pixel)
            if aligned_window(src, cell, method) is None:
                continue
            accepted += 1
            for dtype, nodata in ((np.uint16, 0), (np.float32, np.nan)):
                read = np.zeros(cell.shape, dtype)
                read_band(src, 1, cell, 0, method, read)
                warped = np.full(cell.shape, nodata, dtype)
                reproject(
                    rasterio.band(src, 1),
                    warped,
                    src_nodata=0,
                    dst_transform=cell.transform,
                    dst_crs=cell.crs,
                    dst_nodata=nodata,
                    resampling=method,
                )
                assert np.array_equal(read, warped, equal_nan=True), (band, pixel, dx, dtype)
        assert accepted == aligned
        off_grid = cell_from_row(cell_row(32618, 441605, 4170000, 1280), pixel_size=pixel)
        assert aligned_window(src, off_grid, method) is None


@needs_sentinel2
def test_two_copies_of_a_scene_give_its_own_pixels_through_the_median(tmp_path):
    """Several scenes take the float path (per-pixel median); one scene read unchanged takes
    the uint16 path: on the same scene they must agree, no-data edge included."""
    for copy in ("a", "b"):
        folder = tmp_path / copy
        folder.mkdir()
        for band in DEFAULT_BANDS:
            (folder / band_file(band).name).symlink_to(band_file(band))
    cell = cell_from_row(cell_row(32618, 435300, 4175000, 1280))
    one = LocalBackend(path=tmp_path / "a", patterns=("s2_B*.tif",)).fetch(cell, None)
    two = LocalBackend(path=tmp_path, patterns=("s2_B*.tif",)).fetch(cell, None)
    assert two.tags["scenes"] == "s2;s2"
    assert np.array_equal(one.data, two.data)
    assert 0 < (one.data == 0).mean() < 1
