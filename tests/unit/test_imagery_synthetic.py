"""Synthetic backend and the shard runner: COGs on the cell grid, the mine band, provenance."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from fixtures.imagery import kalimantan_rows, write_cells, write_polygons

from minescan.cells import cell_from_row, read_polygons
from minescan.errors import MinescanInputError
from minescan.imagery.bands import DEFAULT_BANDS, MINE_BAND, NODATA, check_bands
from minescan.imagery.tiles import make_shard_tiles
from minescan.outputs import PROVENANCE_KEY

IMAGERY = {"backend": "synthetic", "bands": list(DEFAULT_BANDS), "synthetic": {"seed": 7}}


@pytest.fixture(scope="module")
def shard_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("synthetic")
    rows = kalimantan_rows()
    cells = write_cells(tmp, rows)
    polygons = write_polygons(tmp)
    status = make_shard_tiles(
        cells=cells,
        polygons=polygons,
        shard="s0",
        tiles_dir=tmp / "tiles",
        status=tmp / "s0.status.csv",
        imagery=IMAGERY,
        threads=2,
    )
    return tmp, rows, status


def test_every_cell_gets_a_cog_on_its_own_grid(shard_run):
    tmp, rows, status = shard_run
    assert list(status["status"]) == ["ok", "ok"]
    for row in rows:
        with rasterio.open(tmp / "tiles" / f"{row['cell_id']}.tif") as src:
            assert src.crs.to_epsg() == 32750
            assert src.transform == rasterio.transform.from_origin(row["xmin"], row["ymax"], 10, 10)
            assert src.width == src.height == 128
            assert src.descriptions == (*DEFAULT_BANDS, MINE_BAND)
            assert src.dtypes[0] == "uint16" and src.nodata == NODATA
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            tags = src.tags()
            assert tags["simulated"] == "true" and tags["backend"] == "synthetic"
            record = json.loads(tags[PROVENANCE_KEY])
            assert record["software"] == "minescan" and record["params"]["pixel_size_m"] == 10


def test_mine_band_is_the_polygons_at_pixel_centres(shard_run):
    tmp, rows, _ = shard_run
    polygons = read_polygons(tmp / "polygons.parquet").to_crs(32750).union_all()
    cell = cell_from_row(rows[0])
    with rasterio.open(tmp / "tiles" / f"{cell.cell_id}.tif") as src:
        mine = src.read(src.count)
    x, y = cell.pixel_centres()
    inside = shapely.contains_xy(polygons, x, y)
    assert mine.mean() > 0.05
    assert (mine.astype(bool) == inside).mean() > 0.995  # GDAL's centre rule vs GEOS, edge ties
    negative = rows[1]
    with rasterio.open(tmp / "tiles" / f"{negative['cell_id']}.tif") as src:
        assert src.read(src.count).sum() == 0


def test_simulated_mines_look_like_mines(shard_run):
    """Inside the polygons vegetation gives way to bare, bright surfaces (lower NDVI)."""
    tmp, rows, _ = shard_run
    with rasterio.open(tmp / "tiles" / f"{rows[0]['cell_id']}.tif") as src:
        data = src.read().astype(float)
    names = (*DEFAULT_BANDS, MINE_BAND)
    red, nir = data[names.index("B4")], data[names.index("B8")]
    ndvi = (nir - red) / (nir + red)
    mine = data[-1].astype(bool)
    assert np.median(ndvi[mine]) < 0.3 < np.median(ndvi[~mine])
    assert data[:-1].min() >= 1 and data[:-1].max() < 10000


def test_synthetic_is_deterministic_per_cell(tmp_path, shard_run):
    tmp, rows, _ = shard_run
    cells = write_cells(tmp_path, rows[:1])
    make_shard_tiles(
        cells=cells,
        polygons=tmp / "polygons.parquet",
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery=IMAGERY,
    )
    name = f"{rows[0]['cell_id']}.tif"
    with rasterio.open(tmp / "tiles" / name) as a, rasterio.open(tmp_path / "tiles" / name) as b:
        assert np.array_equal(a.read(), b.read())
    assert pd.read_csv(tmp_path / "status.csv")["status"].tolist() == ["ok"]


def test_unknown_band_name_is_rejected_with_the_key():
    with pytest.raises(MinescanInputError, match=r"imagery.bands.*B13"):
        check_bands(["B2", "B13"])
    with pytest.raises(MinescanInputError, match="B02"):
        check_bands(["B02"])


def test_optional_bands_are_simulated(tmp_path, shard_run):
    tmp, rows, _ = shard_run
    bands = ["B1", "B2", "B3", "B4", "B10", "AOT", "TCI_R", "TCI_G", "TCI_B"]
    make_shard_tiles(
        cells=write_cells(tmp_path, rows[:1]),
        polygons=tmp / "polygons.parquet",
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery={**IMAGERY, "bands": bands},
    )
    with rasterio.open(tmp_path / "tiles" / f"{rows[0]['cell_id']}.tif") as src:
        assert src.descriptions == (*bands, MINE_BAND)
        assert src.read(bands.index("TCI_R") + 1).max() <= 255


def test_coarser_pixels_give_smaller_tiles_of_the_same_ground(tmp_path):
    """Pyramid levels ask for the same cells at 20 or 40 m: the grid and mine band follow."""
    rows = kalimantan_rows(size_m=2560)
    cells, polygons = write_cells(tmp_path, rows), write_polygons(tmp_path)
    fine, coarse = {}, {}
    for pixel, found in ((10, fine), (40, coarse)):
        make_shard_tiles(
            cells=cells,
            polygons=polygons,
            shard="s0",
            tiles_dir=tmp_path / f"tiles{pixel}",
            status=tmp_path / f"status{pixel}.csv",
            imagery=IMAGERY,
            pixel_size=pixel,
        )
        with rasterio.open(tmp_path / f"tiles{pixel}" / f"{rows[0]['cell_id']}.tif") as src:
            found.update(width=src.width, res=src.res, bounds=src.bounds, mine=src.read(src.count))
            found["reflectance"] = src.read(4).astype(float).mean()
    assert (fine["width"], coarse["width"]) == (256, 64)
    assert coarse["res"] == (40.0, 40.0) and coarse["bounds"] == fine["bounds"]
    # The same share of the cell is mine at both pixel sizes (within a coarse pixel's rim).
    assert abs(coarse["mine"].mean() - fine["mine"].mean()) < 0.03
    assert abs(coarse["reflectance"] - fine["reflectance"]) < 0.1 * fine["reflectance"]
