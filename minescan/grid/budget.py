"""The grid's size before it is built: an estimate of the cells the polygons touch.

A country or region outline given as the mining polygons (the region and the polygons confused)
asks for millions of cells; the estimate stops that before any job, as the pyramid's job budget
does for its scans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from minescan.config import zoom_cell_sizes
from minescan.errors import MinescanInputError

_METRES_PER_DEGREE = 111_320.0


def estimate_cells(polygons: gpd.GeoDataFrame, cell_size_m: float) -> int:
    """Cells of side ``cell_size_m`` the cleaned polygons touch, estimated from above.

    A convex shape of area A and perimeter P placed at random on a grid of side s meets on
    average A/s^2 + (2/pi) P/s + 1 cells; summed over polygons this counts a cell shared by
    neighbours more than once, so it runs high (1.2 to 2.4 times the true count on the MAUS
    Indonesia and Amazon Mining Watch polygons).
    """
    geoms = polygons.geometry.to_numpy()
    lat = np.radians(shapely.get_y(shapely.centroid(geoms)))
    # Degrees of length to metres, east-west ones shortened by cos(lat) on average.
    perimeter = shapely.length(geoms) * _METRES_PER_DEGREE * np.sqrt((1 + np.cos(lat) ** 2) / 2)
    area = polygons["area_km2"].to_numpy(float) * 1e6
    s = float(cell_size_m)
    return int(np.ceil((area / s**2 + 2 / np.pi * perimeter / s + 1).sum()))


def check_grid_size(
    polygons: gpd.GeoDataFrame, grid: Mapping[str, Any], source: str, key: str = "polygons.path"
) -> int:
    """The estimated cells of the finest zoom level; MinescanInputError above grid.max_cells."""
    sizes = zoom_cell_sizes(grid)
    finest = max(sizes)
    cells = estimate_cells(polygons, sizes[finest])
    budget = int(grid.get("max_cells", 1_000_000))
    if cells > budget:
        largest = float(polygons["area_km2"].max())
        raise MinescanInputError(
            source,
            f"the grid would have about {cells:,} cells at zoom {finest} ({sizes[finest]} m), "
            f"over grid.max_cells {budget:,} ({len(polygons):,} polygons, "
            f"{polygons['area_km2'].sum():,.0f} km2, the largest {largest:,.0f} km2)",
            f"these look like a region outline, not mining polygons: set {key} to the mines "
            "and give the region to scan as pyramid.region (a polygon file, a bounding box or "
            "ISO3 codes); or raise grid.max_cells if the polygons are right",
        )
    return cells


__all__ = ["check_grid_size", "estimate_cells"]
