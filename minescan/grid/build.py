"""Build the multi-zoom grid: positive cells, their negatives, names, metadata and shards.

Cells live on the UTM zone of the polygons they cover: cell (i, j) of side s spans
[i*s, (i+1)*s) x [j*s, (j+1)*s) in that zone's metres, so edges fall on the 10 m pixel grid and
cell (i, j) at zoom z+1 lies in cell (i >> 1, j >> 1) at zoom z: four children per parent.
A cell's zone comes from the cell: polygons are cut along the zone boundaries and the equator,
and each part makes the cells of its own zone (a polygon across three zones makes cells in all
three, each square and on its zone's 10 m grid). Parts of neighbouring zones within reach are
projected too, so that overlap fractions and the no-touch rule of negatives see them.
The nesting is used: areas are computed once, on the finest grid, and summed up the levels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from minescan.config import check_grid, zoom_cell_sizes
from minescan.grid import ancillary
from minescan.grid.coverage import CellCoverage, cell_coverage
from minescan.grid.naming import cell_ids, cell_names
from minescan.grid.negatives import NegativeSearch, choose_negatives
from minescan.grid.shards import assign_shards
from minescan.utm import to_lonlat, to_utm, zone_central_lon, zone_label, zone_labels

log = logging.getLogger(__name__)

POSITIVE, NEGATIVE = "positive", "negative"


@dataclass(frozen=True)
class GridSpec:
    zooms: tuple[int, ...]
    cell_size_m: dict[int, int]
    pixel_size_m: int = 10
    min_overlap_fraction: float = 0.001
    max_cells_per_shard: int = 256
    shard_block_m: int = 327680

    @classmethod
    def from_config(cls, grid: dict[str, Any]) -> GridSpec:
        check_grid(grid)
        return cls(
            zooms=tuple(int(z) for z in grid["zoom_levels"]),
            cell_size_m=zoom_cell_sizes(grid),
            pixel_size_m=int(grid.get("pixel_size_m", 10)),
            min_overlap_fraction=float(grid.get("min_overlap_fraction", 0.001)),
            max_cells_per_shard=int(grid.get("max_cells_per_shard", 256)),
            shard_block_m=int(grid.get("shard_block_m", 327680)),
        )


@dataclass
class ZoneCoverage:
    """Finest-level coverage of one UTM zone: by its own polygons, and by its neighbours'."""

    epsg: int
    own: CellCoverage
    neighbours: CellCoverage


_DENSIFY_DEG = 0.05  # edges of cut polygons are densified so that they stay true in UTM


def zone_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons cut along UTM zone boundaries and the equator: the parts and their EPSG codes.

    Most polygons lie in one zone and hemisphere and are kept whole. Longitudes unwrapped past
    180 degrees (antimeridian polygons) fall in zones 1, 2... as their wrapped values do.
    """
    bounds = shapely.bounds(geoms)
    west = np.floor((bounds[:, 0] + 180.0) / 6.0).astype(np.int64)
    east = np.floor((np.nextafter(bounds[:, 2], -np.inf) + 180.0) / 6.0).astype(np.int64)
    east = np.maximum(east, west)
    south, north = bounds[:, 1] < 0, bounds[:, 3] > 0
    whole = (west == east) & ~(south & north)
    base = np.where(south, 32700, 32600)
    parts, codes = [geoms[whole]], [base[whole] + west[whole] % 60 + 1]
    for k in np.flatnonzero(~whole):
        for strip in range(int(west[k]), int(east[k]) + 1):
            lon0 = -180.0 + 6.0 * strip
            for hemisphere, lat0, lat1 in ((32600, 0.0, 90.0), (32700, -90.0, 0.0)):
                part = shapely.intersection(geoms[k], shapely.box(lon0, lat0, lon0 + 6.0, lat1))
                if part.is_empty or part.area <= 0:
                    continue
                pieces = shapely.get_parts(part)
                pieces = pieces[(shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) > 0)]
                parts.append(shapely.segmentize(pieces, _DENSIFY_DEG))
                codes.append(np.full(len(pieces), hemisphere + strip % 60 + 1))
    return np.concatenate(parts), np.concatenate(codes).astype(np.int64)


def _neighbour_mask(bounds: np.ndarray, epsg: int, own: np.ndarray, reach_m: float) -> np.ndarray:
    """Polygons of other zones close enough to this zone's polygons to matter."""
    own_bounds = bounds[own]
    max_abs_lat = min(np.abs(own_bounds[:, [1, 3]]).max() + 1.0, 89.0)
    reach_deg = reach_m / (111_320.0 * np.cos(np.radians(max_abs_lat)))
    centre = (bounds[:, 0] + bounds[:, 2]) / 2
    half_width = (bounds[:, 2] - bounds[:, 0]) / 2
    delta = np.abs((centre - zone_central_lon(epsg) + 180.0) % 360.0 - 180.0)
    near_lon = delta - half_width <= 3.0 + reach_deg
    near_lat = (bounds[:, 3] >= own_bounds[:, 1].min() - reach_m / 111_320.0) & (
        bounds[:, 1] <= own_bounds[:, 3].max() + reach_m / 111_320.0
    )
    return near_lon & near_lat & ~own


def zone_coverages(
    polygons: gpd.GeoDataFrame, finest_size: float, reach_m: float
) -> list[ZoneCoverage]:
    """Exact coverage of the finest grid in every UTM zone that holds polygons."""
    zones = []
    geoms, codes = zone_parts(polygons.geometry.to_numpy())
    bounds = shapely.bounds(geoms)
    for epsg in np.unique(codes):
        own = codes == epsg
        near = _neighbour_mask(bounds, int(epsg), own, reach_m)
        own_cov = cell_coverage(to_utm(geoms[own], int(epsg)), finest_size)
        near_cov = cell_coverage(to_utm(geoms[near], int(epsg)), finest_size)
        log.info(
            "UTM %s: %d polygon parts (+%d from neighbouring zones), %d touched cells of %g m",
            zone_label(int(epsg)),
            int(own.sum()),
            int(near.sum()),
            len(own_cov.i),
            finest_size,
        )
        zones.append(ZoneCoverage(int(epsg), own_cov, near_cov))
    return zones


def level_cells(
    zones: list[ZoneCoverage], levels_up: int, min_overlap: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Positive cells of one level (all zones), and every touched cell (``zone_code, i, j``)."""
    frames, blocked = [], []
    for code, zone in enumerate(zones):
        own = zone.own.coarsen(levels_up)
        near = zone.neighbours.coarsen(levels_up)
        total = own.combine(near) if len(near.i) else own
        found = np.searchsorted(total.keys, own.keys)
        area = total.area[found]
        fraction = np.clip(area / own.cell_size**2, 0.0, 1.0)
        positive = fraction >= min_overlap
        frames.append(
            pd.DataFrame(
                {
                    "zone_code": code,
                    "epsg": zone.epsg,
                    "i": own.i[positive],
                    "j": own.j[positive],
                    "overlap_fraction": fraction[positive],
                }
            )
        )
        blocked.append(pd.DataFrame({"zone_code": code, "i": total.i, "j": total.j}))
    return pd.concat(frames, ignore_index=True), pd.concat(blocked, ignore_index=True)


def _negatives(
    positives: pd.DataFrame, blocked: pd.DataFrame, cell_size: int, search: NegativeSearch
) -> pd.DataFrame:
    """The nearest free land cell of each positive (positives served in cell order)."""
    step, found = choose_negatives(
        positives["zone_code"].to_numpy(),
        positives["epsg"].to_numpy(),
        positives["i"].to_numpy(),
        positives["j"].to_numpy(),
        blocked["zone_code"].to_numpy(),
        blocked["i"].to_numpy(),
        blocked["j"].to_numpy(),
        float(cell_size),
        search,
    )
    step = step[found]
    source = positives[found]
    return pd.DataFrame(
        {
            "zone_code": source["zone_code"].to_numpy(),
            "epsg": source["epsg"].to_numpy(),
            "i": source["i"].to_numpy() + step[:, 0],
            "j": source["j"].to_numpy() + step[:, 1],
            "overlap_fraction": 0.0,
            "pair_row": np.flatnonzero(found),
        }
    )


def describe_cells(
    cells: pd.DataFrame,
    zoom: int,
    cell_size: int,
    spec: GridSpec,
    polygons: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Geometry, bounds, names, ids and metadata of cells given by ``epsg, i, j, label,
    overlap_fraction`` (and optionally ``pair_id``); ``polygons`` lend positives a country."""
    n = len(cells)
    epsg = cells["epsg"].to_numpy()
    i, j = cells["i"].to_numpy(), cells["j"].to_numpy()
    xmin, ymin = i * float(cell_size), j * float(cell_size)
    corners_lon = np.zeros((n, 4))
    corners_lat = np.zeros((n, 4))
    centre = np.zeros((n, 2))
    for code in np.unique(epsg):
        sel = epsg == code
        xs = np.stack([xmin[sel], xmin[sel] + cell_size, xmin[sel] + cell_size, xmin[sel]], 1)
        ys = np.stack([ymin[sel], ymin[sel], ymin[sel] + cell_size, ymin[sel] + cell_size], 1)
        lon, lat = to_lonlat(xs.ravel(), ys.ravel(), int(code))
        corners_lon[sel], corners_lat[sel] = lon.reshape(-1, 4), lat.reshape(-1, 4)
        cx, cy = to_lonlat(xmin[sel] + cell_size / 2, ymin[sel] + cell_size / 2, int(code))
        centre[sel] = np.column_stack([cx, cy])
    ring = np.stack([corners_lon, corners_lat], axis=2)
    geometry = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    label = cells["label"].to_numpy(dtype=object)
    overlap = cells["overlap_fraction"].to_numpy(float)
    ids = cell_ids(zoom, epsg, i, j)
    parent = (
        cell_ids(zoom - 1, epsg, i >> 1, j >> 1)
        if zoom - 1 in spec.zooms
        else np.full(n, None, dtype=object)
    )
    named_positive = (label != NEGATIVE) & (overlap >= spec.min_overlap_fraction)
    table = gpd.GeoDataFrame(
        {
            "cell_id": ids,
            "name": cell_names(centre[:, 1], centre[:, 0], zoom, overlap, named_positive),
            "zoom": np.full(n, zoom, np.int16),
            "cell_size_m": np.full(n, cell_size, np.int32),
            "label": label,
            "overlap_fraction": overlap,
            "parent_id": parent,
            "pair_id": _pair_ids(ids, cells),
            "epsg": epsg.astype(np.int32),
            "utm_zone": zone_labels(epsg),
            "i": i.astype(np.int64),
            "j": j.astype(np.int64),
            "xmin": xmin,
            "ymin": ymin,
            "xmax": xmin + cell_size,
            "ymax": ymin + cell_size,
            "lon_min": corners_lon.min(1),
            "lat_min": corners_lat.min(1),
            "lon_max": corners_lon.max(1),
            "lat_max": corners_lat.max(1),
            "centroid_lon": centre[:, 0],
            "centroid_lat": centre[:, 1],
            "country": None,
            "climate": ancillary.climate_class(centre[:, 0], centre[:, 1]),
            "shard": assign_shards(
                epsg, i, j, cell_size, spec.shard_block_m, spec.max_cells_per_shard
            ),
        },
        geometry=geometry,
        crs=4326,
    )
    table["country"] = _countries(table, polygons)
    return table


def _countries(table: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame | None) -> np.ndarray:
    """ISO3 country: for positives the nearest polygon's, when the polygons say; else GeoNames'."""
    lon, lat = table["centroid_lon"].to_numpy(), table["centroid_lat"].to_numpy()
    country = ancillary.country_iso3(lon, lat)
    if polygons is None:
        return country
    known = polygons["country"].notna().to_numpy()
    positive = (table["label"] == POSITIVE).to_numpy()
    if known.any() and positive.any():
        tree = shapely.STRtree(polygons.geometry.to_numpy()[known])
        centres = shapely.points(
            table["centroid_lon"].to_numpy()[positive], table["centroid_lat"].to_numpy()[positive]
        )
        nearest = tree.query_nearest(centres, return_distance=False, all_matches=False)[1]
        country[positive] = polygons["country"].to_numpy(dtype=object)[known][nearest]
    return country


def _pair_ids(ids: np.ndarray, cells: pd.DataFrame) -> np.ndarray:
    """Each positive's negative and each negative's positive, by cell id. ``pair_row`` holds,
    for the negatives (after all positives), the row of their positive."""
    pair = np.full(len(ids), None, dtype=object)
    if "pair_row" not in cells:
        return pair
    rows = cells["pair_row"].to_numpy()
    negative = np.flatnonzero(~np.isnan(rows.astype(float)))
    positive_rows = rows[negative].astype(np.int64)
    pair[negative] = ids[positive_rows]
    pair[positive_rows] = ids[negative]
    return pair


def build_grid(
    polygons: gpd.GeoDataFrame,
    spec: GridSpec,
    search: NegativeSearch | None,
    zooms: list[int] | None = None,
) -> dict[int, gpd.GeoDataFrame]:
    """The cell table of each requested zoom level (default: all of ``spec.zooms``)."""
    zooms = sorted(zooms or spec.zooms)
    finest = max(zooms)
    reach = (search.max_distance_m if search else 0.0) + 2 * spec.cell_size_m[min(zooms)]
    zones = zone_coverages(polygons, spec.cell_size_m[finest], reach)
    tables = {}
    for zoom in zooms:
        size = spec.cell_size_m[zoom]
        positives, blocked = level_cells(zones, finest - zoom, spec.min_overlap_fraction)
        positives = positives.sort_values(["epsg", "i", "j"], ignore_index=True)
        positives["label"] = POSITIVE
        parts = [positives]
        if search is not None:
            negatives = _negatives(positives, blocked, size, search)
            negatives["label"] = NEGATIVE
            parts.append(negatives)
        cells = pd.concat(parts, ignore_index=True)
        table = describe_cells(cells, zoom, size, spec, polygons)
        log.info(
            "zoom %d (%d m): %d positives, %d negatives, %d shards",
            zoom,
            size,
            int((table["label"] == POSITIVE).sum()),
            int((table["label"] == NEGATIVE).sum()),
            table["shard"].nunique(),
        )
        tables[zoom] = table
    return tables


def level_spec(
    zoom: int,
    cell_size_m: int,
    parent_zoom: int | None,
    pixel_size_m: int,
    min_overlap_fraction: float,
    max_cells_per_shard: int,
    shard_block_m: int,
) -> GridSpec:
    """The grid of one zoom level (and its parent's size, for the parent ids)."""
    sizes = {int(zoom): int(cell_size_m)}
    if parent_zoom is not None:
        sizes[int(parent_zoom)] = 2 * int(cell_size_m)
    return GridSpec(
        zooms=tuple(sorted(sizes)),
        cell_size_m=sizes,
        pixel_size_m=int(pixel_size_m),
        min_overlap_fraction=float(min_overlap_fraction),
        max_cells_per_shard=int(max_cells_per_shard),
        shard_block_m=int(shard_block_m),
    )
