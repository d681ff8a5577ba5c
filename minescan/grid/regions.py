"""Region mode: every land cell of a zoom level covering a region, and the children of cells.

The pyramid screens the coarse cells of a region, keeps the promising ones and descends into
their four children at the next level, down to the finest zoom.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from minescan.errors import MinescanInputError
from minescan.grid.ancillary import is_land
from minescan.grid.build import GridSpec, describe_cells, zone_coverages
from minescan.grid.coverage import pack_keys
from minescan.grid.naming import parse_cell_id
from minescan.grid.negatives import LAND_SAMPLES
from minescan.polygons.clean import read_polygons
from minescan.utm import MAX_LAT, MIN_LAT, to_lonlat, to_utm, utm_zone_number

REGION = "region"
_DENSIFY_DEG = 0.05  # region edges are densified before projection to keep them true


def region_geometry(region: str | Path | Sequence[float]) -> shapely.Geometry:
    """The region as one lon/lat geometry, from a polygon file or ``[west, south, east, north]``."""
    if isinstance(region, str | Path):
        frame = read_polygons(region)
        return shapely.union_all(frame.to_crs(4326).geometry.to_numpy())
    west, south, east, north = (float(v) for v in region)
    if not (-180 <= west < east <= 180 and MIN_LAT <= south < north <= MAX_LAT):
        raise MinescanInputError(
            "config",
            f"region.extent {list(region)} is not a bounding box [west, south, east, north] "
            f"with -180 <= west < east <= 180 and {MIN_LAT:g} <= south < north <= {MAX_LAT:g}",
            "fix region.extent",
        )
    return shapely.box(west, south, east, north)


def _zone_pieces(region: shapely.Geometry) -> list[tuple[int, shapely.Geometry]]:
    """The region cut along UTM zone boundaries and the equator: (epsg, lon/lat piece)."""
    west, south, east, north = region.bounds
    pieces = []
    for zone in range(int(utm_zone_number(west)), int(utm_zone_number(min(east, 179.999))) + 1):
        lon0 = -180.0 + 6.0 * (zone - 1)
        for base, lat0, lat1 in ((32600, 0.0, MAX_LAT), (32700, MIN_LAT, 0.0)):
            piece = shapely.intersection(region, shapely.box(lon0, lat0, lon0 + 6.0, lat1))
            if not piece.is_empty and piece.area > 0:
                pieces.append((base + zone, piece))
    return pieces


def cell_land_fraction(epsg: int, i: np.ndarray, j: np.ndarray, cell_size: float) -> np.ndarray:
    """Share of a 3x3 sample of points in each cell that lies on land."""
    offsets = (0.5 + LAND_SAMPLES) * cell_size  # the same points the negatives are judged on
    ox, oy = (a.ravel() for a in np.meshgrid(offsets, offsets))
    x = (i[:, None] * cell_size + ox[None]).ravel()
    y = (j[:, None] * cell_size + oy[None]).ravel()
    lon, lat = to_lonlat(x, y, epsg)
    return is_land(lon, lat).reshape(len(i), -1).mean(axis=1)


def region_cells(
    region: shapely.Geometry,
    zoom: int,
    spec: GridSpec,
    polygons: gpd.GeoDataFrame | None = None,
    min_land_fraction: float = 0.5,
) -> gpd.GeoDataFrame:
    """All land cells of ``zoom`` meeting the region, with their overlap with ``polygons``."""
    size = spec.cell_size_m[zoom]
    frames = []
    for epsg, piece in _zone_pieces(region):
        projected = to_utm(np.array([shapely.segmentize(piece, _DENSIFY_DEG)]), epsg)[0]
        x0, y0, x1, y1 = projected.bounds
        ii, jj = np.meshgrid(
            np.arange(np.floor(x0 / size), np.floor(x1 / size) + 1, dtype=np.int64),
            np.arange(np.floor(y0 / size), np.floor(y1 / size) + 1, dtype=np.int64),
        )
        i, j = ii.ravel(), jj.ravel()
        boxes = shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size)
        meets = shapely.intersects(projected, boxes)
        i, j = i[meets], j[meets]
        land = cell_land_fraction(epsg, i, j, size) >= min_land_fraction
        frames.append(pd.DataFrame({"epsg": epsg, "i": i[land], "j": j[land]}))
    cells = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({"epsg": [], "i": [], "j": []}, dtype=np.int64)
    )
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
