"""Epoch-aware synthetic imagery: each date window shows the dated polygons first mapped before
its end, over the same landscape; undated polygons give the tiles they always gave."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from fixtures.growth import amw_cells, amw_polygons

from minescan.cells import read_cells
from minescan.errors import MinescanInputError
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.request import MAPPED_BEFORE, tile_request
from minescan.imagery.tiles import make_shard_tiles
from minescan.outputs import PROVENANCE_KEY

IMAGERY = {"backend": "synthetic", "bands": list(DEFAULT_BANDS), "synthetic": {"seed": 3}}
WINDOWS = {"2019": ["2019-01-01", "2020-01-01"], "2023": ["2023-01-01", "2024-01-01"]}
# Four z16 cells (1.28 km) where mining spread between 2019 and 2023.
BUSY = (-55.085, -10.09, -55.075, -10.08)


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("growth_imagery")
    polygons = amw_polygons(tmp)
    cells = amw_cells(tmp, BUSY, zoom=16)
    tiles = {}
    for epoch, dates in WINDOWS.items():
        request = tile_request(IMAGERY, dates, dated_polygons=True)
        make_shard_tiles(
            cells=cells,
            polygons=polygons,
            shard="s0",
            tiles_dir=tmp / epoch,
            status=tmp / f"{epoch}.status.csv",
            imagery=request,
            store_dir=tmp / "store",
        )
        tiles[epoch] = tmp / epoch
    return tmp, polygons, cells, tiles


def read(tile):
    with rasterio.open(tile) as src:
        return src.read(), json.loads(src.tags()[PROVENANCE_KEY])


@pytest.mark.slow
def test_each_window_shows_the_polygons_mapped_by_its_end(windows):
    tmp, polygons, cells, tiles = windows
    dated = gpd.read_parquet(polygons)
    table = read_cells(cells)
    mine = {epoch: 0.0 for epoch in WINDOWS}
    for cell in table.itertuples():
        for epoch in WINDOWS:
            data, record = read(tiles[epoch] / f"{cell.cell_id}.tif")
            mine[epoch] += float(data[-1].sum()) * 100.0  # 10 m pixels
            assert record["params"]["imagery"][MAPPED_BEFORE] == WINDOWS[epoch][1]
    for epoch, (_, end) in WINDOWS.items():
        box = shapely.box(*table[["xmin", "ymin"]].min(), *table[["xmax", "ymax"]].max())
        mapped = dated[dated["first_mapped"] < end].to_crs(int(table["epsg"].iloc[0]))
        true = float(mapped.intersection(box).area.sum())
        assert mine[epoch] == pytest.approx(true, rel=0.02)
    assert mine["2023"] - mine["2019"] > 10e4  # over 10 ha of new mining


def test_the_landscape_stays_and_only_new_mines_change(windows):
    tmp, polygons, cells, tiles = windows
    changed = 0
    for cell_id in read_cells(cells)["cell_id"]:
        before, _ = read(tiles["2019"] / f"{cell_id}.tif")
        after, _ = read(tiles["2023"] / f"{cell_id}.tif")
        old, new = before[-1].astype(bool), after[-1].astype(bool)
        assert not (old & ~new).any()  # the polygons only accumulate
        # 20 m and 60 m bands mix a new mine into their blocks: compare the 10 m bands.
        fine = [DEFAULT_BANDS.index(b) for b in ("B2", "B3", "B4", "B8")]
        untouched = ~(old | new)
        assert np.array_equal(before[fine][:, untouched], after[fine][:, untouched])
        grown = new & ~old
        changed += int(grown.sum())
        if grown.sum() > 100:  # vegetation became pits and tailings: red goes up
            red = DEFAULT_BANDS.index("B4")
            assert after[red][grown].mean() > 1.5 * before[red][grown].mean()
    assert changed > 1000


def test_windows_do_not_share_stored_tiles(windows):
    tmp, *_ = windows
    assert len(list((tmp / "store").iterdir())) == len(WINDOWS)


@pytest.mark.slow
def test_undated_polygons_give_the_same_tiles_in_every_window(tmp_path):
    plain = tile_request(IMAGERY, WINDOWS["2019"])
    assert MAPPED_BEFORE not in plain
    assert plain == tile_request(IMAGERY, WINDOWS["2023"])  # the synthetic backend has no dates
    polygons = amw_polygons(tmp_path)
    cells = amw_cells(tmp_path, BUSY, zoom=16)
    undated = tmp_path / "undated.parquet"
    gpd.read_parquet(polygons).drop(columns="first_mapped").to_parquet(undated)
    make_shard_tiles(
        cells=cells,
        polygons=undated,
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "s0.status.csv",
        imagery=plain,
    )
    data, record = read(next((tmp_path / "tiles").glob("*.tif")))
    assert MAPPED_BEFORE not in record["params"]["imagery"]
    with pytest.raises(MinescanInputError, match="first_mapped"):
        make_shard_tiles(
            cells=cells,
            polygons=undated,
            shard="s0",
            tiles_dir=tmp_path / "dated",
            status=tmp_path / "dated.status.csv",
            imagery=tile_request(IMAGERY, WINDOWS["2019"], dated_polygons=True),
        )
    assert not (tmp_path / "dated.status.csv").exists()
