"""What a pyramid scan costs and what it misses: pixels and model time per level, and the
recall of mining polygon area and count, measured against the polygons of the region.

Recall is geometric and exact: the area of each polygon (clipped to the region) that lies in
the cells of a level, in an equal-area projection. A polygon counts as found when any of its
area lies in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely

from minescan.grid.naming import parse_cell_id

EQUAL_AREA = 6933  # WGS 84 / NSIDC EASE-Grid 2.0 Global


def region_polygons(polygons: gpd.GeoDataFrame, region: shapely.Geometry) -> gpd.GeoSeries:
    """The polygons clipped to the region, in an equal-area CRS (empty ones dropped)."""
    clipped = shapely.intersection(polygons.to_crs(4326).geometry.to_numpy(), region)
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    return gpd.GeoSeries(clipped[keep], crs=4326).to_crs(EQUAL_AREA).reset_index(drop=True)


def polygon_area_in(polygons: gpd.GeoSeries, cells: gpd.GeoSeries) -> np.ndarray:
    """Area (m²) of each polygon inside the cells (which do not overlap one another)."""
    inside = np.zeros(len(polygons))
    if len(polygons) == 0 or len(cells) == 0:
        return inside
    cell_geoms = cells.to_crs(EQUAL_AREA).geometry.to_numpy()
    poly_geoms = polygons.geometry.to_numpy()
    tree = shapely.STRtree(cell_geoms)
    poly_idx, cell_idx = tree.query(poly_geoms, predicate="intersects")
    areas = shapely.area(shapely.intersection(poly_geoms[poly_idx], cell_geoms[cell_idx]))
    np.add.at(inside, poly_idx, areas)
    return np.minimum(inside, shapely.area(poly_geoms))


def recall(polygons: gpd.GeoSeries, cells: gpd.GeoSeries) -> dict[str, float]:
    """Share of the polygons' area, and of the polygons, that the cells cover."""
    if len(polygons) == 0:
        return {"area_recall": np.nan, "polygon_recall": np.nan}
    inside = polygon_area_in(polygons, cells)
    total = shapely.area(polygons.geometry.to_numpy())
    return {
        "area_recall": float(inside.sum() / total.sum()),
        "polygon_recall": float((inside > 0).mean()),
    }


def child_ids(ids: Sequence[str]) -> list[str]:
    """The ids of the four children of every cell id."""
    out = []
    for cell_id in ids:
        zoom, epsg, i, j = parse_cell_id(cell_id)
        out += [f"z{zoom + 1}_{epsg}_{2 * i + di}_{2 * j + dj}" for dj in (0, 1) for di in (0, 1)]
    return out


def replay(
    zooms: Sequence[int],
    start: Sequence[str],
    region: Mapping[int, set[str]],
    scores: Mapping[int, Mapping[str, float]],
    thresholds: Mapping[int, float],
) -> dict[int, list[str]]:
    """The cells each level scores when the pyramid runs with ``thresholds``, from scores
    already computed. ``region`` holds, per zoom, the region's cells whose scores were computed
    (all of them in an exhaustive run; otherwise the cells the scan reached, which suffices for
    thresholds at least as strict as the scan's). A cell without a score had no usable tile and
    is kept, as in the scan."""
    scored: dict[int, list[str]] = {}
    current = list(start)
    for zoom in zooms:
        scored[zoom] = current
        level_scores = scores[zoom]
        kept = [c for c in current if level_scores.get(c, np.inf) >= thresholds[zoom]]
        if zoom != zooms[-1]:
            # children outside the region or at sea are not cells of the next level
            current = [c for c in child_ids(kept) if c in region[zoom + 1]]
    return scored
