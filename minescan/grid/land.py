"""How much of a cell is land: the land mask's blocks (cells wholly on land or at sea need no
sampling), the purity of a cell's footprint, and sampled land fractions of cells and of their
descendants, for region mode and the pyramid."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from minescan.grid import ancillary
from minescan.grid.ancillary import is_land
from minescan.grid.negatives import LAND_SAMPLES
from minescan.utm import to_lonlat


class _LandBlocks:
    """Blocks of the land mask raster, to tell cells that lie wholly on land or wholly at sea.

    A cell whose lon/lat footprint falls only on land pixels (or only on sea pixels) has all
    nine sample points on land (at sea) without projecting them: its land fraction is 1 (0)
    exactly. Windows are widened to whole blocks of ``BLOCK`` pixels, which can only turn a pure
    cell into one checked point by point, never change a result.
    """

    BLOCK = 4

    def __init__(self) -> None:
        codes = ancillary._climate_raster()
        self.height, self.width = codes.shape
        # Summed-area table of sea pixels per block, built once per machine like the raster.
        target = ancillary.cache_dir() / f"land_blocks_{self.BLOCK}.npy"
        if not target.exists():
            tmp = target.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, self._table(codes))
            os.replace(tmp, target)
        self.table = np.load(target, mmap_mode="r")

    def _table(self, codes: np.ndarray) -> np.ndarray:
        ocean = int(np.flatnonzero(ancillary._climate_names() == ancillary.OCEAN)[0])
        b = self.BLOCK
        sea = (np.asarray(codes) == ocean).reshape(self.height // b, b, self.width // b, b)
        counts = sea.sum(axis=(1, 3), dtype=np.int32)
        table = np.zeros((counts.shape[0] + 1, counts.shape[1] + 1), np.int32)
        table[1:, 1:] = counts.cumsum(0).cumsum(1)
        return table

    def _rows_cols(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # The raster indexing of ancillary.is_land, so that windows hold the points' pixels.
        col = np.floor((lon + 180.0) % 360.0 * self.width / 360.0).astype(np.int64)
        row = np.floor((90.0 - lat) * self.height / 180.0).astype(np.int64)
        return np.clip(row, 0, self.height - 1), np.clip(col, 0, self.width - 1)

    def purity(
        self, lon_min: np.ndarray, lat_min: np.ndarray, lon_max: np.ndarray, lat_max: np.ndarray
    ) -> np.ndarray:
        """1 where the box is all land, 0 where all sea, -1 where mixed (or over 180 degrees)."""
        b = self.BLOCK
        r0, c0 = self._rows_cols(lon_min, lat_max)
        r1, c1 = self._rows_cols(lon_max, lat_min)
        r0, r1, c0, c1 = r0 // b, r1 // b + 1, c0 // b, c1 // b + 1
        t = self.table
        sea = t[r1, c1] - t[r0, c1] - t[r1, c0] + t[r0, c0]
        pixels = (r1 - r0) * (c1 - c0) * b * b
        result = np.where(sea == 0, 1, np.where(sea == pixels, 0, -1))
        # Across the antimeridian (or wrapping) the window is not the points' window.
        result[(lon_max - lon_min > 180.0) | (c1 <= c0)] = -1
        return result


@lru_cache(maxsize=1)
def _land_blocks() -> _LandBlocks:
    return _LandBlocks()


# Sample points lie a sixth of a cell inside its edges; corners bound them with room to spare
# for the curvature of the projected edges (metres). The margin (degrees) makes it certain.
_FOOTPRINT_MARGIN_DEG = 1e-3


def _footprint_purity(lon: Sequence[np.ndarray], lat: Sequence[np.ndarray]) -> np.ndarray:
    """Purity of cells given the lon/lat of their four corners (four arrays each)."""
    m = _FOOTPRINT_MARGIN_DEG
    lon_min, lon_max = np.minimum.reduce(lon), np.maximum.reduce(lon)
    lat_min, lat_max = np.minimum.reduce(lat), np.maximum.reduce(lat)
    return _land_blocks().purity(
        lon_min - m, np.maximum(lat_min - m, -90.0), lon_max + m, lat_max + m
    )


def cell_purity(epsg: int, i: np.ndarray, j: np.ndarray, cell_size: float) -> np.ndarray:
    """Per cell: 1 if its footprint lies wholly on land, 0 wholly at sea, -1 mixed."""
    if len(i) == 0:
        return np.zeros(0, np.int64)
    i0, j0 = i.min(), j.min()
    width, height = int(i.max() - i0 + 2), int(j.max() - j0 + 2)
    if width * height <= 2 * len(i):
        # Dense cells share corners: project the lattice of corners once.
        gx, gy = np.meshgrid(
            np.arange(i0, i0 + width) * float(cell_size),
            np.arange(j0, j0 + height) * float(cell_size),
            indexing="ij",
        )
        lattice_lon, lattice_lat = (
            np.asarray(a).reshape(width, height) for a in to_lonlat(gx.ravel(), gy.ravel(), epsg)
        )
        ci, cj = i - i0, j - j0
        corners = ((ci, cj), (ci + 1, cj), (ci, cj + 1), (ci + 1, cj + 1))
        lon = [lattice_lon[a, b] for a, b in corners]
        lat = [lattice_lat[a, b] for a, b in corners]
    else:
        corners_x = (i[:, None] + np.array([0, 1, 0, 1])) * float(cell_size)
        corners_y = (j[:, None] + np.array([0, 0, 1, 1])) * float(cell_size)
        lon4, lat4 = to_lonlat(corners_x.ravel(), corners_y.ravel(), epsg)
        lon4, lat4 = np.asarray(lon4).reshape(-1, 4), np.asarray(lat4).reshape(-1, 4)
        lon, lat = list(lon4.T), list(lat4.T)
    return _footprint_purity(lon, lat)


def descendant_land_fraction(
    epsg: int, i: np.ndarray, j: np.ndarray, depth: int, cell_size: float
) -> np.ndarray:
    """``cell_land_fraction`` of every descendant ``depth`` levels below cells ``(i, j)``:
    ``(cells, 4**depth)``, descendant ``(a, b)`` (offsets in x and y) in column ``b * 2**depth
    + a``; ``cell_size`` is the descendants' side. Corners are projected once per lattice."""
    side = 2**depth
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    span = np.arange(side + 1, dtype=np.int64)
    gx = (i[:, None, None] * side + span[None, None, :]) * float(cell_size)  # [cell, b, a]
    gy = (j[:, None, None] * side + span[None, :, None]) * float(cell_size)
    gx, gy = np.broadcast_arrays(gx, gy)
    lon, lat = (np.asarray(a).reshape(gx.shape) for a in to_lonlat(gx.ravel(), gy.ravel(), epsg))
    views = (np.s_[:, :-1, :-1], np.s_[:, :-1, 1:], np.s_[:, 1:, :-1], np.s_[:, 1:, 1:])
    purity = _footprint_purity([lon[v] for v in views], [lat[v] for v in views])
    fraction = purity.reshape(len(i), side * side).astype(float)
    rows, cols = np.nonzero(fraction < 0)
    if len(rows):
        fraction[rows, cols] = sampled_land_fraction(
            epsg, (i[rows] << depth) + cols % side, (j[rows] << depth) + cols // side, cell_size
        )
    return fraction


def cell_land_fraction(epsg: int, i: np.ndarray, j: np.ndarray, cell_size: float) -> np.ndarray:
    """Share of a 3x3 sample of points in each cell that lies on land.

    Cells wholly on land or at sea (most of them) are told from their corners alone; the nine
    points are projected only for the others, with the same result.
    """
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    fraction = cell_purity(epsg, i, j, cell_size).astype(float)
    mixed = np.flatnonzero(fraction < 0)
    fraction[mixed] = sampled_land_fraction(epsg, i[mixed], j[mixed], cell_size)
    return fraction


def sampled_land_fraction(epsg: int, i: np.ndarray, j: np.ndarray, cell_size: float) -> np.ndarray:
    offsets = (0.5 + LAND_SAMPLES) * cell_size  # the same points the negatives are judged on
    ox, oy = (a.ravel() for a in np.meshgrid(offsets, offsets))
    x = (i[:, None] * cell_size + ox[None]).ravel()
    y = (j[:, None] * cell_size + oy[None]).ravel()
    lon, lat = to_lonlat(x, y, epsg)
    return is_land(lon, lat).reshape(len(i), len(ox)).mean(axis=1)
