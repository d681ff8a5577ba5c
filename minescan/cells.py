"""A grid cell as a raster: its CRS, 10 m transform and size, and the mine band of the polygons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features
from rasterio.crs import CRS
from rasterio.transform import from_origin

from minescan.errors import MinescanInputError

CELL_COLUMNS = ("cell_id", "name", "zoom", "epsg", "xmin", "ymin", "xmax", "ymax", "shard")
# Cell metadata copied into every pixel-table row (the pixel-model contract).
METADATA_COLUMNS = (
    "label",
    "country",
    "climate",
    "centroid_lon",
    "centroid_lat",
    "overlap_fraction",
)


@dataclass(frozen=True)
class Cell:
    """One grid cell on its UTM zone's pixel grid (edges fall on pixel edges, no resampling)."""

    cell_id: str
    name: str
    zoom: int
    epsg: int
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    pixel_size: float = 10.0
    metadata: Mapping[str, Any] | None = None

    @property
    def crs(self) -> CRS:
        return CRS.from_epsg(self.epsg)

    @property
    def transform(self) -> Affine:
        return from_origin(self.xmin, self.ymax, self.pixel_size, self.pixel_size)

    @property
    def width(self) -> int:
        return round((self.xmax - self.xmin) / self.pixel_size)

    @property
    def height(self) -> int:
        return round((self.ymax - self.ymin) / self.pixel_size)

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.xmin, self.ymin, self.xmax, self.ymax

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north in degrees (densified edges, so it covers the cell)."""
        from rasterio.warp import transform_bounds

        return transform_bounds(self.crs, "EPSG:4326", *self.bounds, densify_pts=21)

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every pixel centre, each of shape (height, width)."""
        xs = self.xmin + self.pixel_size * (np.arange(self.width) + 0.5)
        ys = self.ymax - self.pixel_size * (np.arange(self.height) + 0.5)
        return np.meshgrid(xs, ys)


def cell_from_row(row: Mapping[str, Any], pixel_size: float = 10.0) -> Cell:
    meta = {k: row.get(k) for k in METADATA_COLUMNS}
    return Cell(
        cell_id=str(row["cell_id"]),
        name=str(row["name"]),
        zoom=int(row["zoom"]),
        epsg=int(row["epsg"]),
        xmin=float(row["xmin"]),
        ymin=float(row["ymin"]),
        xmax=float(row["xmax"]),
        ymax=float(row["ymax"]),
        pixel_size=float(pixel_size),
        metadata=meta,
    )


def read_cells(path: str | Path, shard: str | None = None) -> pd.DataFrame:
    """The cells table (GeoParquet) of one zoom level, optionally only one shard's rows."""
    table = pd.read_parquet(path)
    missing = [c for c in CELL_COLUMNS if c not in table.columns]
    if missing:
        raise MinescanInputError(
            path, f"cells table lacks columns {missing}", "rerun the grid stage"
        )
    if shard is not None:
        table = table[table["shard"].astype(str) == str(shard)]
        if table.empty:
            raise MinescanInputError(path, f"no cells in shard {shard!r}", "rerun the grid stage")
    return table.drop(columns=["geometry"], errors="ignore").reset_index(drop=True)


def read_polygons(path: str | Path) -> gpd.GeoDataFrame:
    polygons = gpd.read_parquet(path)
    if polygons.crs is None:
        raise MinescanInputError(path, "polygons have no CRS", "write them with a CRS (EPSG:4326)")
    return polygons[~polygons.geometry.is_empty & polygons.geometry.notna()]


class PolygonsByCrs:
    """The polygons reprojected once per UTM zone and queried by cell (spatial index)."""

    def __init__(self, polygons: gpd.GeoDataFrame) -> None:
        self._polygons = polygons
        self._cache: dict[int, gpd.GeoSeries] = {}

    def in_crs(self, epsg: int) -> gpd.GeoSeries:
        if epsg not in self._cache:
            self._cache[epsg] = self._polygons.geometry.to_crs(epsg).reset_index(drop=True)
        return self._cache[epsg]

    def near(self, epsg: int, bounds: tuple[float, float, float, float], margin: float = 0.0):
        """Polygons (in ``epsg``) intersecting ``bounds`` grown by ``margin`` metres."""
        geoms = self.in_crs(epsg)
        xmin, ymin, xmax, ymax = bounds
        box = (xmin - margin, ymin - margin, xmax + margin, ymax + margin)
        hits = geoms.sindex.query(shapely.box(*box))
        return geoms.iloc[np.sort(hits)]


def mine_mask(cell: Cell, polygons: gpd.GeoSeries) -> np.ndarray:
    """The binary ``_mine`` band: 1 where the pixel centre lies inside a polygon."""
    if len(polygons) == 0:
        return np.zeros(cell.shape, dtype=np.uint8)
    return features.rasterize(
        ((geom, 1) for geom in polygons),
        out_shape=cell.shape,
        transform=cell.transform,
        fill=0,
        dtype="uint8",
        all_touched=False,
    )
