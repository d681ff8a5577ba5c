"""Synthetic backend and the shard runner: COGs on the cell grid, the mine band, provenance."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from fixtures.imagery import kalimantan_rows, write_cells, write_polygons

from minescan.cells import PolygonsByCrs, cell_from_row, mine_mask, read_polygons
from minescan.errors import MinescanInputError
from minescan.imagery.backends.synthetic import SyntheticBackend, smooth_field, standard_normal
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


@pytest.fixture(scope="module")
def positive_cell(tmp_path_factory):
    """The cell across the sample's largest mine and its mine mask."""
    tmp = tmp_path_factory.mktemp("synthetic_cell")
    cell = cell_from_row(kalimantan_rows()[0])
    index = PolygonsByCrs(read_polygons(write_polygons(tmp)))
    return cell, mine_mask(cell, index.near(cell.epsg, cell.bounds))


def test_mine_surfaces_are_separable_from_their_surroundings(positive_cell):
    """The pixel models must be able to learn the simulated mines: a linear discriminant of
    the reflectances, fitted on half the pixels, finds them on the other half."""
    cell, mine = positive_cell
    for seed in (0, 7):
        image = SyntheticBackend(seed=seed).fetch(cell, mine)
        features = np.c_[np.ones(mine.size), image.data.reshape(len(DEFAULT_BANDS), -1).T / 1e4]
        target = mine.ravel().astype(bool)
        train = np.random.default_rng(0).random(mine.size) < 0.5
        weights, *_ = np.linalg.lstsq(features[train], 2.0 * target[train] - 1, rcond=None)
        accuracy = ((features[~train] @ weights > 0) == target[~train]).mean()
        assert 0.2 < target.mean() < 0.8 and accuracy > 0.92


def test_a_cell_depends_on_its_seed_and_id_only(positive_cell):
    """Neither the cells fetched before it (shard grouping, order, threads) nor anything else
    changes a cell's pixels; another seed or another cell changes them."""
    cell, mine = positive_cell
    backend = SyntheticBackend(seed=3)
    first = backend.fetch(cell, mine).data
    neighbour = replace(cell, cell_id=cell.cell_id + "_other")
    assert not np.array_equal(backend.fetch(neighbour, mine).data, first)
    assert np.array_equal(SyntheticBackend(seed=3, concurrency=4).fetch(cell, mine).data, first)
    assert not np.array_equal(SyntheticBackend(seed=4).fetch(cell, mine).data, first)


def test_coarse_bands_are_simulated_at_their_own_resolution(positive_cell):
    """On a 10 m cell a 20 m band is constant in 2 x 2 blocks and a 60 m band in 6 x 6 blocks
    (the 128 px cell ends in partial blocks); a 10 m band has its own noise in every pixel."""
    cell, mine = positive_cell
    bands = ("B4", "B5", "B9")
    data = SyntheticBackend(bands=bands).fetch(cell, mine).data.astype(int)
    b4, b5, b9 = data
    assert np.array_equal(b5, np.repeat(np.repeat(b5[::2, ::2], 2, 0), 2, 1))
    assert np.array_equal(b9, np.repeat(np.repeat(b9[::6, ::6], 6, 0), 6, 1)[:128, :128])
    assert (np.diff(b4, axis=1) != 0).mean() > 0.9


@pytest.mark.parametrize(
    ("shape", "sigma"), [((128, 128), 3.75), ((200, 130), 10.0), ((512, 384), 30.0)]
)
def test_smooth_fields_are_gaussian_blurred_noise(shape, sigma):
    """Zero mean, unit variance, and the correlation of a Gaussian blur of white noise at a lag
    of sigma, exp(-1/4), whether or not the noise was drawn on a coarser grid."""
    lag = round(sigma)
    correlations = []
    for draw in range(12):
        field = smooth_field(np.random.default_rng(draw), shape, sigma)
        assert field.shape == shape and field.dtype == np.float32
        field = field.astype(np.float64)
        assert abs(field.mean()) < 1e-4 and abs(field.std() - 1) < 1e-4
        correlations.append(np.mean(field[:, :-lag] * field[:, lag:]))
        correlations.append(np.mean(field[:-lag] * field[lag:]))
    expected = np.exp(-(lag**2) / (4 * sigma**2))
    assert abs(np.mean(correlations) - expected) < 0.06


def test_standard_normal_numbers_are_standard_normal_and_seeded():
    numbers = standard_normal(np.random.default_rng(5), 1_000_001)
    assert numbers.dtype == np.float32 and numbers.shape == (1_000_001,)
    assert abs(numbers.mean()) < 0.005 and abs(numbers.std() - 1) < 0.005
    assert abs(np.mean(numbers.astype(np.float64) ** 4) - 3) < 0.05  # Gaussian tails
    assert np.array_equal(numbers, standard_normal(np.random.default_rng(5), 1_000_001))
