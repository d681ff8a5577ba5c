"""Pixel tables from real MAUS polygons: the contract's columns and types, signed distance against
shapely's exact distance, no no-data pixels, seeded subsampling, the edge buffer, CSV = Parquet."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import rasterio
import shapely
from fixtures.imagery import kalimantan_rows, write_cells, write_polygons

from minescan.cells import PolygonsByCrs, cell_from_row, read_polygons
from minescan.imagery.tiles import make_shard_tiles
from minescan.outputs import PROVENANCE_KEY
from minescan.pixels.distance import SignedDistance
from minescan.pixels.table import make_shard_pixels, parquet_to_csv

BANDS = ["B2", "B3", "B4", "B8", "B11", "B12"]


@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pixels")
    rows = kalimantan_rows()
    cells, polygons = write_cells(tmp, rows), write_polygons(tmp)
    make_shard_tiles(
        cells=cells,
        polygons=polygons,
        shard="s0",
        tiles_dir=tmp / "tiles",
        status=tmp / "status.csv",
        imagery={"backend": "synthetic", "bands": BANDS},
    )
    # Knock out a block of the positive tile: no-data pixels must never become rows.
    tile = tmp / "tiles" / f"{rows[0]['cell_id']}.tif"
    with rasterio.open(tile, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as dst:
        data = dst.read()
        data[:3, :20, :30] = 0
        dst.write(data)
    return tmp, rows


def pixels(tmp, out, **options):
    make_shard_pixels(
        status=tmp / "status.csv",
        tiles_dir=tmp / "tiles",
        cells=tmp / "cells.parquet",
        polygons=tmp / "polygons.parquet",
        shard="s0",
        out=out,
        bands=BANDS,
        params={"test": True},
        **options,
    )
    return pq.read_table(out)


def test_contract_columns_types_and_metadata(shard, tmp_path):
    tmp, rows = shard
    table = pixels(tmp, tmp_path / "s0.parquet")
    expected = ["cell_id", "name", "zoom", "row", "col", *BANDS, "distance_m", "mine"]
    expected += ["label", "country", "climate", "centroid_lon", "centroid_lat", "overlap_fraction"]
    assert table.column_names == expected
    types = {f.name: str(f.type) for f in table.schema}
    assert types["row"] == types["col"] == "int32" and types["B2"] == "uint16"
    assert types["distance_m"] == "float" and types["mine"] == "uint8"
    meta = table.schema.metadata
    assert meta[b"simulated"] == b"true"
    assert json.loads(meta[PROVENANCE_KEY.encode()])["params"]["bands"] == BANDS
    frame = table.to_pandas()
    assert len(frame) == 2 * 128 * 128 - 20 * 30  # every valid pixel once, no no-data pixel
    positive = frame[frame["cell_id"] == rows[0]["cell_id"]]
    assert not ((positive["row"] < 20) & (positive["col"] < 30)).any()
    assert (frame[BANDS] > 0).all().all()
    assert set(frame["label"]) == {"positive", "negative"} and set(frame["country"]) == {"IDN"}
    # The sign follows the label: negative inside a polygon, positive outside.
    assert (frame.loc[frame["mine"] == 1, "distance_m"] <= 0).all()
    assert (frame.loc[frame["mine"] == 0, "distance_m"] >= 0).all()


def test_distance_is_shapelys_exact_distance_to_the_nearest_edge(shard, tmp_path):
    tmp, rows = shard
    frame = pixels(tmp, tmp_path / "s0.parquet").to_pandas()
    polygons = read_polygons(tmp / "polygons.parquet").to_crs(32750).geometry
    edges = shapely.union_all(polygons.boundary.values)
    for row in rows:
        cell = cell_from_row(row)
        sample = frame[frame["cell_id"] == cell.cell_id].sample(400, random_state=1)
        x = cell.xmin + (sample["col"].to_numpy() + 0.5) * 10
        y = cell.ymax - (sample["row"].to_numpy() + 0.5) * 10
        exact = shapely.distance(shapely.points(x, y), edges)
        assert np.allclose(np.abs(sample["distance_m"]), exact, atol=0.01)


def test_raster_distance_is_within_a_pixel_of_exact(shard):
    tmp, rows = shard
    index = PolygonsByCrs(read_polygons(tmp / "polygons.parquet"))
    cell = cell_from_row(rows[0])
    rr, cc = (a.ravel() for a in np.mgrid[0:128, 0:128])
    inside = np.zeros(rr.size, bool)
    exact = SignedDistance(index, 2000, "exact")(cell, rr, cc, inside)
    raster = SignedDistance(index, 2000, "raster")(cell, rr, cc, inside)
    assert np.abs(np.abs(raster) - np.abs(exact)).max() <= 10 * 1.5


def test_subsample_is_seeded_and_edge_buffer_drops_pixels_near_edges(shard, tmp_path):
    tmp, _ = shard
    full = pixels(tmp, tmp_path / "full.parquet").to_pandas()
    a = pixels(tmp, tmp_path / "a.parquet", sample_fraction=0.1, seed=3).to_pandas()
    b = pixels(tmp, tmp_path / "b.parquet", sample_fraction=0.1, seed=3).to_pandas()
    c = pixels(tmp, tmp_path / "c.parquet", sample_fraction=0.1, seed=4).to_pandas()
    assert a.equals(b) and not a.equals(c)
    assert 0.08 < len(a) / len(full) < 0.12
    buffered = pixels(tmp, tmp_path / "d.parquet", edge_buffer_m=30).to_pandas()
    assert (buffered["distance_m"].abs() >= 30).all()
    assert len(buffered) == (full["distance_m"].abs() >= 30).sum()


def test_csv_holds_the_same_rows(shard, tmp_path):
    tmp, _ = shard
    table = pixels(tmp, tmp_path / "s0.parquet", sample_fraction=0.05)
    assert parquet_to_csv(tmp_path / "s0.parquet", tmp_path / "s0.csv") == table.num_rows
    csv = pd.read_csv(tmp_path / "s0.csv")
    assert list(csv.columns) == table.column_names
    assert np.allclose(csv["distance_m"], table["distance_m"].to_numpy(), atol=1e-3)
    assert (csv["B4"].to_numpy() == table["B4"].to_numpy()).all()


@pytest.mark.slow
def test_blocked_exact_distance_equals_shapely_near_far_and_beyond_the_margin(shard):
    """Every pixel of cells near, far from and beyond the search margin of the polygons."""
    tmp, rows = shard
    polygons = read_polygons(tmp / "polygons.parquet")
    edges = shapely.union_all(polygons.to_crs(32750).geometry.boundary.values)
    distance = SignedDistance(PolygonsByCrs(polygons), margin_m=1500.0)
    base = rows[0]
    for dx in (0.0, 1280.0, 2560.0, 9000.0):  # the last cell is beyond the 1.5 km margin
        cell = cell_from_row({**base, "xmin": base["xmin"] - dx, "xmax": base["xmax"] - dx})
        r, c = np.nonzero(np.ones(cell.shape, dtype=bool))
        ours = np.abs(distance(cell, r, c, np.zeros(len(r), dtype=bool)))
        x, y = cell.xmin + (c + 0.5) * 10, cell.ymax - (r + 0.5) * 10
        reference = shapely.distance(shapely.points(x, y), edges)
        assert np.allclose(ours, reference, atol=0.01), dx
