"""Small cells tables and polygons in the grid stage's contract, for imagery and pixel tests.

Cells are built the way the grid stage builds them (UTM pixel-grid edges, the contract's
columns); polygons are the real MAUS v1 sample shipped in resources/.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

REPO = Path(__file__).resolve().parents[2]
MAUS_SAMPLE = REPO / "resources" / "maus_sample" / "maus_v1_idn_east_kalimantan.gpkg"
SHARED = REPO.parent / "shared" / "data"
VIRGINIA = SHARED / "sentinel2" / "virginia_l1c"
BRANDENBURG = SHARED / "sentinel2" / "brandenburg_l1c" / "IMG_DATA"


def write_polygons(directory: Path) -> Path:
    """The MAUS sample as the grid stage's cleaned polygons.parquet."""
    raw = gpd.read_file(MAUS_SAMPLE)
    polygons = gpd.GeoDataFrame(
        {
            "polygon_id": np.arange(len(raw), dtype=np.int64),
            "country": raw["ISO3_CODE"],
            "area_km2": raw["AREA"],
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    )
    path = directory / "polygons.parquet"
    polygons.to_parquet(path)
    return path


def cell_row(
    epsg: int,
    xmin: float,
    ymax: float,
    size_m: int,
    zoom: int = 14,
    label: str = "positive",
    shard: str = "s0",
    overlap: float = 0.0,
) -> dict:
    """One row of the cells table, in the contract's columns, for a cell with this corner."""
    xmin, ymax = float(xmin), float(ymax)
    xmax, ymin = xmin + size_m, ymax - size_m
    to_lonlat = Transformer.from_crs(epsg, 4326, always_xy=True)
    ring = np.array([(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax)])
    lon, lat = to_lonlat.transform(ring[:, 0], ring[:, 1])
    clon, clat = to_lonlat.transform(xmin + size_m / 2, ymin + size_m / 2)
    ix, iy = int(xmin // size_m), int(ymin // size_m)
    zone = epsg % 100
    return {
        "cell_id": f"z{zoom}_{epsg}_{ix}_{iy}",
        "name": f"{round(clat * 1000)}_{round(clon * 1000)}_{zoom}_{label}",
        "zoom": zoom,
        "cell_size_m": size_m,
        "label": label,
        "overlap_fraction": overlap,
        "parent_id": None,
        "pair_id": None,
        "epsg": epsg,
        "utm_zone": f"{zone}{'S' if epsg // 100 == 327 else 'N'}",
        "ix": ix,
        "iy": iy,
        "xmin": xmin,
        "ymin": ymin,
        "xmax": xmax,
        "ymax": ymax,
        "lon_min": float(min(lon)),
        "lat_min": float(min(lat)),
        "lon_max": float(max(lon)),
        "lat_max": float(max(lat)),
        "centroid_lon": float(clon),
        "centroid_lat": float(clat),
        "country": "IDN" if epsg == 32750 else None,
        "climate": "Af" if epsg == 32750 else None,
        "shard": shard,
        "geometry": shapely.Polygon(zip(lon, lat, strict=True)),
    }


def write_cells(directory: Path, rows: list[dict], name: str = "cells.parquet") -> Path:
    cells = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    path = directory / name
    cells.to_parquet(path)
    return path


def kalimantan_rows(size_m: int = 1280, shard: str = "s0") -> list[dict]:
    """Two cells in UTM 50S: one over the sample's largest mine, one free of mines next to it."""
    raw = gpd.read_file(MAUS_SAMPLE).to_crs(32750)
    largest = raw.geometry.iloc[int(raw.area.argmax())]
    centre = largest.exterior.interpolate(0.3, normalized=True)  # a cell across the mine's edge
    xmin = np.floor(centre.x / 10) * 10 - size_m / 2
    ymax = np.floor(centre.y / 10) * 10 + size_m / 2
    positive = cell_row(32750, xmin, ymax, size_m, label="positive", shard=shard, overlap=0.5)
    # Walk west until a cell touches no polygon: the seed's nearest negative.
    union = raw.union_all()
    x = xmin - size_m
    while union.intersects(shapely.box(x, ymax - size_m, x + size_m, ymax)):
        x -= size_m
    negative = cell_row(32750, x, ymax, size_m, label="negative", shard=shard)
    return [positive, negative]


def virginia_rows(size_m: int = 1280, shard: str = "s0") -> list[dict]:
    """Cells inside the real Virginia L1C scene (UTM 18N), on the 10 m grid of its bands."""
    return [
        cell_row(32618, 440000, 4170000, size_m, label="negative", shard=shard),
        cell_row(32618, 447680, 4175120, size_m, label="negative", shard=shard),
    ]


def rectangle_polygons(directory: Path, epsg: int, boxes: list[tuple]) -> Path:
    """Polygons (given as boxes in ``epsg`` metres) stored like polygons.parquet (EPSG:4326)."""
    frame = gpd.GeoDataFrame(
        {"polygon_id": np.arange(len(boxes)), "country": None, "area_km2": 0.0},
        geometry=[shapely.box(*b) for b in boxes],
        crs=f"EPSG:{epsg}",
    ).to_crs(4326)
    path = directory / "polygons.parquet"
    frame.to_parquet(path)
    return path
