"""Footprint polygons: holes kept, specks dropped, areas in m², lon/lat output."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.crs import CRS
from rasterio.transform import from_origin

from minescan.errors import MinescanInputError
from minescan.footprints.vectorise import COLUMNS, footprints

UTM = CRS.from_epsg(32750)
GRID = from_origin(500000, 9960000, 10, 10)


def ring_with_hole() -> np.ndarray:
    mask = np.zeros((40, 40), dtype=bool)
    mask[5:25, 5:25] = True
    mask[10:15, 10:15] = False  # a pond inside a tailings area: not mine area
    return mask


def test_hole_is_kept_and_area_is_the_pixels_on_utm():
    mask = ring_with_hole()
    prob = np.where(mask, 0.9, 0.1).astype(np.float32)
    frame = footprints(mask, prob, GRID, UTM, min_area_m2=100, cell_id="c1", zoom=16, epoch="2019")
    assert list(frame.columns) == COLUMNS
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row.area_m2 == pytest.approx((400 - 25) * 100)
    assert len(row.geometry.interiors) == 1
    assert row.mean_probability == pytest.approx(0.9)
    assert (row.cell_id, row.zoom, row.epoch) == ("c1", 16, "2019")


def test_specks_below_the_minimum_area_are_dropped():
    mask = np.zeros((40, 40), dtype=bool)
    mask[0:10, 0:10] = True  # 100 px = 10000 m²
    mask[30:32, 30:32] = True  # 4 px = 400 m²
    frame = footprints(
        mask, mask.astype(np.float32), GRID, UTM, min_area_m2=1000, cell_id="c", zoom=16, epoch="e"
    )
    assert frame["area_m2"].tolist() == [pytest.approx(10000)]


def test_geographic_tiles_are_measured_on_utm():
    mask = np.zeros((100, 100), dtype=bool)
    mask[20:80, 20:80] = True
    lonlat = from_origin(-45.0, -20.0, 9e-5, 9e-5)
    frame = footprints(
        mask,
        mask.astype(np.float32),
        lonlat,
        CRS.from_epsg(4326),
        min_area_m2=100,
        cell_id="t",
        zoom=None,
        epoch=None,
    )
    # 3600 pixels of 9e-5 degrees at 20 S: about 9.4 m x 10.0 m each.
    expected = 3600 * (9e-5 * 111_320 * np.cos(np.radians(20.0027))) * (9e-5 * 110_574)
    assert frame["area_m2"].iloc[0] == pytest.approx(expected, rel=0.01)


def test_a_minimum_area_below_one_pixel_is_refused():
    mask = ring_with_hole()
    with pytest.raises(MinescanInputError, match="footprints.min_area_m2.*below one pixel"):
        footprints(mask, mask * 1.0, GRID, UTM, min_area_m2=50, cell_id="c", zoom=1, epoch="e")


def test_no_footprint_gives_an_empty_table_with_the_columns():
    mask = np.zeros((10, 10), dtype=bool)
    frame = footprints(mask, mask * 1.0, GRID, UTM, min_area_m2=100, cell_id="c", zoom=1, epoch="e")
    assert frame.empty and list(frame.columns) == COLUMNS
