"""Before any job: the local imagery covers some of the polygons.

A folder of rasters from somewhere else makes every training tile ``not_covered`` and every
pixel table empty; the jobs all succeed until the models find no pixel to learn from. The
rasters' footprints are known from their headers, so this is said before any job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from rasterio.warp import transform_bounds

from minescan.errors import MinescanInputError
from minescan.imagery.backends.local import DEFAULT_PATTERNS, index_folder


def local_footprints(local: Mapping[str, Any]) -> np.ndarray:
    """The lon/lat bounding box of every scene of the local imagery folder."""
    scenes = index_folder(
        local["path"], tuple(local.get("patterns") or DEFAULT_PATTERNS), local.get("band_order")
    )
    return np.array(
        [
            shapely.box(*transform_bounds(s.crs, "EPSG:4326", *s.bounds, densify_pts=21))
            for s in scenes
        ]
    )


def check_local_coverage(
    imagery: Mapping[str, Any], polygons: gpd.GeoDataFrame, key: str = "polygons.path"
) -> None:
    """MinescanInputError when the local backend's rasters cover none of the polygons."""
    if imagery.get("backend") != "local":
        return
    local = imagery.get("local") or {}
    footprints = local_footprints(local)
    geoms = polygons.geometry.to_numpy()
    if len(shapely.STRtree(geoms).query(footprints, predicate="intersects")[0]):
        return
    west, south, east, north = shapely.total_bounds(footprints)
    pw, ps, pe, pn = shapely.total_bounds(geoms)
    raise MinescanInputError(
        "config",
        f"imagery.local.path {local['path']}: its {len(footprints)} scene(s) lie in "
        f"[{west:.2f}, {south:.2f}, {east:.2f}, {north:.2f}] and cover none of the "
        f"{len(geoms)} polygons of {key} (in [{pw:.2f}, {ps:.2f}, {pe:.2f}, {pn:.2f}]): every "
        "tile would be not_covered",
        "give imagery over the polygons, or polygons inside the imagery",
    )


__all__ = ["check_local_coverage", "local_footprints"]
