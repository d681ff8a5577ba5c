"""Before any job: do the scan regions meet the polygons they are meant to scan?

A user who points polygons.path at their own mines and keeps the rest of the demo's config gets
a pyramid scan of the demo's Kalimantan box and a growth stage on the demo's Tapajós sample;
both run, and nothing says they are about someone else's region. These warnings say so, naming
the key to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from minescan.grid.regions import region_geometry
from minescan.polygons.read import read_polygons


def _meets(region: shapely.Geometry, geoms: np.ndarray) -> bool:
    """Whether the region meets any polygon (longitudes unwrapped past 180 degrees too)."""
    tree = shapely.STRtree(geoms)
    shifted = shapely.transform(region, lambda xy: xy + np.array([360.0, 0.0]))
    return any(len(tree.query(part, predicate="intersects")) for part in (region, shifted))


def _extent(geoms: np.ndarray) -> str:
    west, south, east, north = shapely.total_bounds(geoms)
    return f"[{west:.2f}, {south:.2f}, {east:.2f}, {north:.2f}]"


def _same_path(a: Any, b: Any) -> bool:
    return a is not None and b is not None and Path(str(a)) == Path(str(b))


def scope_warnings(
    config: Mapping[str, Any], polygons: gpd.GeoDataFrame, shipped: Mapping[str, Any]
) -> list[str]:
    """Warnings, one line each, for scan regions that miss their polygons and for the demo's
    growth sample kept beside the user's own polygons. ``polygons`` are the cleaned
    polygons.path; ``shipped`` is the shipped config/config.yaml (the demo's values)."""
    warnings = []
    path = config["polygons"]["path"]
    own = not _same_path(path, shipped.get("polygons", {}).get("path"))
    geoms = polygons.geometry.to_numpy()
    pyramid = config.get("pyramid") or {}
    if pyramid.get("enabled") and not _meets(region_geometry(pyramid["region"]), geoms):
        demo = pyramid["region"] == (shipped.get("pyramid") or {}).get("region")
        warnings.append(
            f"pyramid.region {pyramid['region']!r}{' (the demo region)' if demo else ''} meets "
            f"none of the {len(geoms)} polygons of polygons.path {path} (they lie in "
            f"{_extent(geoms)}): the scan's recall is judged on no known mine -> set "
            "pyramid.region to the region to scan around your polygons, or pyramid.enabled: false"
        )
    growth = config.get("growth") or {}
    if growth.get("enabled"):
        shipped_growth = shipped.get("growth") or {}
        if own and _same_path(growth.get("polygons"), shipped_growth.get("polygons")):
            warnings.append(
                f"growth runs on the demo's sample growth.polygons {growth['polygons']} "
                f"({growth.get('region_name', 'its region')}), not on polygons.path {path} -> "
                "set growth.polygons, growth.region and growth.date_column to your dated "
                "polygons, or growth.enabled: false"
            )
        dated = read_polygons(growth["polygons"], growth.get("layer"), key="growth.polygons")
        dated_geoms = dated.to_crs(4326).geometry.to_numpy()
        if not _meets(region_geometry(growth["region"]), dated_geoms):
            warnings.append(
                f"growth.region {growth['region']!r} meets none of the {len(dated_geoms)} "
                f"polygons of growth.polygons {growth['polygons']} (they lie in "
                f"{_extent(dated_geoms)}): growth would measure no known mine -> set "
                "growth.region to the region of those polygons"
            )
    return warnings


__all__ = ["scope_warnings"]
