"""Chips on the ground: each chip is the UTM square of its size centred on its longitude and
latitude (10 m pixels, north up), and its pixels get labels from yearly mining polygons.

Yearly layers are files named ``..._YYYYMM...`` (Amazon Mining Watch:
``mining_201800_simplified.geojson`` is the 2018 baseline, later files the new mining of that
year). A chip whose date window ends in year Y gets every layer of a year up to Y. Labels are
made as the pixel stage makes them for tiles: ``mine`` is 1 where the pixel centre is inside
a polygon (rasterio's rasterisation), ``distance_m`` the signed distance from the pixel centre
to the nearest polygon edge (negative inside; ``minescan.pixels.distance.EdgeIndex``), +inf
where no polygon lies within ``margin_m``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio import features
from rasterio.transform import Affine

from minescan.errors import MinescanInputError
from minescan.pixels.distance import EdgeIndex
from minescan.utm import to_utm, transformer, utm_epsg

LOG = logging.getLogger(__name__)
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})?(?!\d)")
VECTOR_SUFFIXES = (".geojson", ".gpkg", ".shp", ".fgb", ".parquet")


@dataclass(frozen=True)
class ChipFrame:
    epsg: int
    transform: Affine
    shape: tuple[int, int]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        h, w = self.shape
        x0, y1 = self.transform.c, self.transform.f
        return (x0, y1 + h * self.transform.e, x0 + w * self.transform.a, y1)

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.shape
        cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
        x = self.transform.c + cols * self.transform.a
        y = self.transform.f + rows * self.transform.e
        return x.ravel(), y.ravel()


def chip_frame(lon: float, lat: float, shape: tuple[int, int], pixel_m: float = 10.0) -> ChipFrame:
    """The UTM square of ``shape`` pixels centred on (lon, lat)."""
    epsg = int(utm_epsg(np.array([lon]), np.array([lat]))[0])
    x, y = transformer(4326, epsg).transform(lon, lat)
    h, w = shape
    origin = Affine(pixel_m, 0.0, x - w * pixel_m / 2, 0.0, -pixel_m, y + h * pixel_m / 2)
    return ChipFrame(epsg, origin, shape)


def read_yearly_polygons(folder: str | Path) -> gpd.GeoDataFrame:
    """Every polygon of the yearly layers in ``folder`` with its ``year`` (EPSG:4326)."""
    folder = Path(folder)
    files = sorted(
        p for p in folder.glob("*") if p.suffix in VECTOR_SUFFIXES and YEAR.search(p.stem)
    )
    if not files:
        raise MinescanInputError(
            str(folder),
            "no yearly polygon files (names with a year, e.g. mining_201800_simplified.geojson)",
            "set chips.polygons to the Amazon Mining Watch folder, or null to skip weak labels",
        )
    parts = []
    for path in files:
        layer = gpd.read_file(path) if path.suffix != ".parquet" else gpd.read_parquet(path)
        if layer.crs is None:
            raise MinescanInputError(str(path), "no CRS", "write the file with its CRS")
        layer = layer.to_crs(4326)
        layer = layer[layer.geometry.notna() & ~layer.geometry.is_empty]
        parts.append(
            gpd.GeoDataFrame(
                {"year": int(YEAR.search(path.stem).group(1))},
                geometry=layer.geometry.values,
                index=np.arange(len(layer)),
                crs=4326,
            )
        )
        LOG.info("%s: %d polygons, year %d", path.name, len(layer), parts[-1]["year"].iat[0])
    polygons = pd.concat(parts, ignore_index=True)
    polygons["geometry"] = shapely.make_valid(polygons.geometry.values)
    return gpd.GeoDataFrame(polygons, geometry="geometry", crs=4326)


class PolygonLabeller:
    """Rasterised labels and signed distances of chips, from yearly polygons."""

    def __init__(self, polygons: gpd.GeoDataFrame, margin_m: float = 5000.0) -> None:
        self.polygons = polygons
        self.years = polygons["year"].to_numpy()
        self.geometries = polygons.geometry.values
        self.tree = shapely.STRtree(self.geometries)
        self.margin_m = float(margin_m)

    def label(
        self, lon: float, lat: float, year: int, shape: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mine uint8 (h, w), signed distance float32 (h, w)) of the chip at (lon, lat)
        with the polygons of every year up to ``year``."""
        frame = chip_frame(lon, lat, shape)
        margin_deg = self.margin_m / 111_000 / max(np.cos(np.radians(lat)), 0.1)
        box = shapely.box(lon - margin_deg, lat - margin_deg, lon + margin_deg, lat + margin_deg)
        near = self.tree.query(box)
        near = near[self.years[near] <= year]
        mine = np.zeros(shape, dtype=np.uint8)
        distance = np.full(shape, np.inf, dtype=np.float32)
        if len(near) == 0:
            return mine, distance
        local = to_utm(self.geometries[near], frame.epsg)
        mine = features.rasterize(
            ((g, 1) for g in local), out_shape=shape, transform=frame.transform, dtype="uint8"
        )
        x, y = frame.pixel_centres()
        dist = EdgeIndex(local).distance(x, y).reshape(shape)
        distance = np.where(mine == 1, -dist, dist).astype(np.float32)
        return mine, distance


def window_year(window_end: str | None, chip_id: str) -> int:
    if window_end is None or not re.match(r"^\d{4}", str(window_end)):
        raise MinescanInputError(
            "chips.csv",
            f"chip {chip_id} has no date window end (t0_end/t1_end)",
            "weak labels need the year of each chip; add t0_end and t1_end (YYYY-MM-DD)",
        )
    return int(str(window_end)[:4])
