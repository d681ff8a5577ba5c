"""Region mode: every land cell of a zoom level covering a region, and the children of cells.

The pyramid screens the coarse cells of a region, keeps the promising ones and descends into
their four children at the next level, down to the finest zoom.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from minescan.errors import MinescanInputError
from minescan.grid.build import GridSpec, describe_cells, zone_coverages
from minescan.grid.countries import country_geometry
from minescan.grid.coverage import pack_keys
from minescan.grid.land import (  # re-exported: region mode's land fractions
    cell_land_fraction,
    cell_purity,
    descendant_land_fraction,
    sampled_land_fraction,
)
from minescan.grid.naming import parse_cell_id
from minescan.polygons.read import read_polygons
from minescan.utm import MAX_LAT, MIN_LAT, to_utm, utm_zone_number

REGION = "region"
_DENSIFY_DEG = 0.05  # region edges are densified before projection to keep them true


WORLD = "world"
_ISO3_LIST = re.compile(r"^\s*[A-Za-z]{3}(\s*,\s*[A-Za-z]{3})*\s*$")


def region_geometry(region: str | Path | Sequence[float] | Sequence[str]) -> shapely.Geometry:
    """The region as one lon/lat geometry.

    ``region`` is a polygon file, a bounding box ``[west, south, east, north]`` in degrees
    (west beyond east for a box across the antimeridian), ISO
    3166-1 alpha-3 country codes (``"BRA"``, ``"BRA,PER"`` or ``["BRA", "PER"]``, resolved
    offline by ``minescan.grid.countries``) or ``"world"``: every longitude from 80 S to 84 N
    (the UTM domain), whose land cells the grid's land mask then picks.
    """
    if isinstance(region, Path):
        return _file_geometry(region)
    if isinstance(region, str):
        if region.strip().lower() == WORLD:
            return shapely.box(-180.0, MIN_LAT, 180.0, MAX_LAT)
        if _ISO3_LIST.match(region) and not Path(region).exists():
            return country_geometry(region)
        return _file_geometry(region)
    values = list(region)
    if values and all(isinstance(v, str) for v in values):
        return country_geometry(values)
    try:
        west, south, east, north = (float(v) for v in values)
    except (TypeError, ValueError):
        west = south = east = north = float("nan")
    # West beyond east crosses the antimeridian (Fiji: [177, -19, -178, -16]); wider than half
    # the world that way, it is more likely west and east swapped.
    crossing = west > east and (east + 360.0 - west) <= 180.0
    if not (
        -180 <= west <= 180
        and -180 <= east <= 180
        and (west < east or crossing)
        and MIN_LAT <= south < north <= MAX_LAT
    ):
        raise MinescanInputError(
            "config",
            f"region {values} is not a bounding box [west, south, east, north] "
            f"with -180 <= west, east <= 180 and {MIN_LAT:g} <= south < north <= {MAX_LAT:g} "
            "(west > east crosses the antimeridian, up to 180 degrees wide)",
            "fix it (pyramid.region, --region), or give a polygon file, ISO3 codes or 'world'",
        )
    if crossing:
        # Two boxes, one each side of 180 degrees: each is cut into its own UTM zones.
        return shapely.union(
            shapely.box(west, south, 180.0, north), shapely.box(-180.0, south, east, north)
        )
    return shapely.box(west, south, east, north)


def _file_geometry(path: str | Path) -> shapely.Geometry:
    frame = read_polygons(path, key="the region (pyramid.region, --region)")
    return shapely.union_all(frame.to_crs(4326).geometry.to_numpy())


@dataclass(frozen=True)
class ZonePiece:
    """The part of a region in one UTM zone and hemisphere, in lon/lat and projected."""

    epsg: int
    lonlat: shapely.Geometry
    projected: shapely.Geometry  # prepared: predicates over many cells are fast

    def index_range(self, size: float) -> tuple[int, int, int, int]:
        """``i0, i1, j0, j1``: the cells of side ``size`` that hold the piece's bounding box."""
        x0, y0, x1, y1 = self.projected.bounds
        return (
            int(np.floor(x0 / size)),
            int(np.floor(x1 / size)),
            int(np.floor(y0 / size)),
            int(np.floor(y1 / size)),
        )

    def meets(self, i: np.ndarray, j: np.ndarray, size: float) -> np.ndarray:
        """Whether each cell of side ``size`` is a cell of the piece: its closed square meets
        the piece and it holds part of the piece's bounding box (so a cell that only touches
        the piece's lowest or leftmost edge from outside, such as the equator, is not)."""
        i0, i1, j0, j1 = self.index_range(size)
        inside = (i >= i0) & (i <= i1) & (j >= j0) & (j <= j1)
        inside[inside] = shapely.intersects(self.projected, _boxes(i[inside], j[inside], size))
        return inside

    def covers(self, i: np.ndarray, j: np.ndarray, size: float) -> np.ndarray:
        """Whether the piece covers each cell entirely (so every descendant meets it too)."""
        return shapely.covers(self.projected, _boxes(i, j, size))

    def meets_covers(
        self, i: np.ndarray, j: np.ndarray, size: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``meets`` and ``covers`` at once (the cells' squares are built once)."""
        i0, i1, j0, j1 = self.index_range(size)
        boxes = _boxes(i, j, size)
        inside = (i >= i0) & (i <= i1) & (j >= j0) & (j <= j1)
        return inside & shapely.intersects(self.projected, boxes), shapely.covers(
            self.projected, boxes
        )

    def cells(self, size: float) -> tuple[np.ndarray, np.ndarray]:
        """``(i, j)`` of every cell of side ``size`` that meets the piece, row by row.

        Blocks of cells are tested first, then the quarters of the blocks the piece's edge
        crosses, down to single cells: a block the piece misses holds no such cell and a block
        it covers holds only such cells (the same cells as testing every cell, at a fraction
        of the cost).
        """
        i0, i1, j0, j1 = self.index_range(size)
        levels = max(0, int(np.ceil(np.log2(max(i1 - i0 + 1, j1 - j0 + 1)))) - _TOP_BLOCKS_LOG2)
        bi, bj = (
            a.ravel()
            for a in np.meshgrid(
                np.arange(i0 >> levels, (i1 >> levels) + 1, dtype=np.int64),
                np.arange(j0 >> levels, (j1 >> levels) + 1, dtype=np.int64),
            )
        )
        found_i, found_j = [], []
        for level in range(levels, -1, -1):
            boxes = _boxes(bi, bj, float(size) * 2**level)
            meets = shapely.intersects(self.projected, boxes)
            bi, bj, boxes = bi[meets], bj[meets], boxes[meets]
            if level == 0:
                inside = (bi >= i0) & (bi <= i1) & (bj >= j0) & (bj <= j1)
                found_i.append(bi[inside])
                found_j.append(bj[inside])
                break
            covered = shapely.covers(self.projected, boxes)
            span = np.arange(2**level, dtype=np.int64)
            di, dj = (a.ravel() for a in np.meshgrid(span, span))
            found_i.append(((bi[covered] << level)[:, None] + di).ravel())
            found_j.append(((bj[covered] << level)[:, None] + dj).ravel())
            bi, bj = bi[~covered], bj[~covered]
            bi = ((bi << 1)[:, None] + np.array([0, 1, 0, 1])).ravel()
            bj = ((bj << 1)[:, None] + np.array([0, 0, 1, 1])).ravel()
        i, j = np.concatenate(found_i), np.concatenate(found_j)
        order = np.lexsort((i, j))
        return i[order], j[order]


_TOP_BLOCKS_LOG2 = 3  # about 8 x 8 blocks at the top of the cells' hierarchy


def _boxes(i: np.ndarray, j: np.ndarray, size: float) -> np.ndarray:
    return shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size)


def zone_pieces(region: shapely.Geometry) -> list[ZonePiece]:
    """The region cut along UTM zone boundaries and the equator, one piece per zone."""
    west, south, east, north = region.bounds
    pieces = []
    for zone in range(int(utm_zone_number(west)), int(utm_zone_number(min(east, 179.999))) + 1):
        lon0 = -180.0 + 6.0 * (zone - 1)
        for base, lat0, lat1 in ((32600, 0.0, MAX_LAT), (32700, MIN_LAT, 0.0)):
            piece = shapely.intersection(region, shapely.box(lon0, lat0, lon0 + 6.0, lat1))
            if not piece.is_empty and piece.area > 0:
                epsg = base + zone
                projected = to_utm(np.array([shapely.segmentize(piece, _DENSIFY_DEG)]), epsg)[0]
                shapely.prepare(projected)
                pieces.append(ZonePiece(epsg, piece, projected))
    return pieces


def region_land_cells(
    region: shapely.Geometry, cell_size: float, min_land_fraction: float = 0.5
) -> pd.DataFrame:
    """``epsg, i, j`` of every land cell of side ``cell_size`` meeting the region."""
    frames = []
    for piece in zone_pieces(region):
        i, j = piece.cells(cell_size)
        land = cell_land_fraction(piece.epsg, i, j, cell_size) >= min_land_fraction
        frames.append(pd.DataFrame({"epsg": piece.epsg, "i": i[land], "j": j[land]}))
    if not frames:
        return pd.DataFrame({"epsg": [], "i": [], "j": []}, dtype=np.int64)
    return pd.concat(frames, ignore_index=True)


def region_cells(
    region: shapely.Geometry,
    zoom: int,
    spec: GridSpec,
    polygons: gpd.GeoDataFrame | None = None,
    min_land_fraction: float = 0.5,
) -> gpd.GeoDataFrame:
    """All land cells of ``zoom`` meeting the region, with their overlap with ``polygons``."""
    size = spec.cell_size_m[zoom]
    cells = region_land_cells(region, size, min_land_fraction)
    cells["overlap_fraction"] = _overlap(cells, polygons, size) if polygons is not None else 0.0
    cells["label"] = REGION
    return describe_cells(cells, zoom, size, spec)


def _overlap(cells: pd.DataFrame, polygons: gpd.GeoDataFrame, size: int) -> np.ndarray:
    """Overlap fraction of each cell with the polygons (exact, via the coverage kernel)."""
    fraction = np.zeros(len(cells))
    if len(cells) == 0 or len(polygons) == 0:
        return fraction
    for zone in zone_coverages(polygons, size, reach_m=2 * size):
        sel = (cells["epsg"] == zone.epsg).to_numpy()
        total = zone.own.combine(zone.neighbours) if len(zone.neighbours.i) else zone.own
        keys = pack_keys(cells["i"].to_numpy()[sel], cells["j"].to_numpy()[sel])
        at = np.minimum(np.searchsorted(total.keys, keys), max(len(total.keys) - 1, 0))
        hit = total.keys[at] == keys if len(total.keys) else np.zeros(len(keys), bool)
        fraction[np.flatnonzero(sel)[hit]] = total.fraction[at[hit]]
    return fraction


def child_cells(cells: pd.DataFrame, spec: GridSpec) -> gpd.GeoDataFrame:
    """The four children, at the next zoom level, of every cell (by ``cell_id``)."""
    parsed = np.array([parse_cell_id(c) for c in cells["cell_id"]], dtype=np.int64)
    if len(parsed) == 0:
        raise ValueError("no cells given")
    zooms = np.unique(parsed[:, 0])
    if len(zooms) != 1 or int(zooms[0]) + 1 not in spec.cell_size_m:
        raise ValueError(f"cells must share one zoom level that has a finer level; got {zooms}")
    zoom = int(zooms[0]) + 1
    di = np.array([0, 1, 0, 1])
    dj = np.array([0, 0, 1, 1])
    children = pd.DataFrame(
        {
            "epsg": np.repeat(parsed[:, 1], 4),
            "i": (parsed[:, 2, None] * 2 + di).ravel(),
            "j": (parsed[:, 3, None] * 2 + dj).ravel(),
            "overlap_fraction": 0.0,
            "label": REGION,
        }
    )
    return describe_cells(children, zoom, spec.cell_size_m[zoom], spec)


__all__ = [
    "cell_land_fraction",
    "cell_purity",
    "child_cells",
    "descendant_land_fraction",
    "region_cells",
    "region_geometry",
    "region_land_cells",
    "sampled_land_fraction",
    "zone_pieces",
]
