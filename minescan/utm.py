"""UTM zones: the metric, 10 m-aligned frame Sentinel-2 itself is delivered on."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

# UTM is defined from 80 S to 84 N; beyond that Sentinel-2 uses polar grids we do not support.
MIN_LAT, MAX_LAT = -80.0, 84.0


def utm_zone_number(lon: np.ndarray) -> np.ndarray:
    """Zone 1..60 of each longitude (any longitude, wrapped)."""
    wrapped = (np.asarray(lon, float) + 180.0) % 360.0
    return (np.floor(wrapped / 6.0).astype(np.int64) % 60) + 1


def utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """WGS 84 / UTM EPSG code: 326zz north of the equator, 327zz south."""
    zone = utm_zone_number(lon)
    return np.where(np.asarray(lat) >= 0, 32600, 32700) + zone


def zone_label(epsg: int) -> str:
    """Zone number and hemisphere, e.g. 32750 -> '50S' (S: southern hemisphere)."""
    return f"{epsg % 100}{'N' if epsg < 32700 else 'S'}"


def zone_labels(epsg: np.ndarray) -> np.ndarray:
    """``zone_label`` of many codes at once."""
    codes, inverse = np.unique(np.asarray(epsg), return_inverse=True)
    return np.array([zone_label(int(c)) for c in codes], dtype=object)[inverse]


def zone_central_lon(epsg: int) -> float:
    return -183.0 + 6.0 * (epsg % 100)


@lru_cache(maxsize=256)
def transformer(src: int | str, dst: int | str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_utm(geometries: np.ndarray, epsg: int) -> np.ndarray:
    """Project lon/lat geometries into a UTM zone."""
    forward = transformer(4326, int(epsg))
    return shapely.transform(geometries, lambda xy: np.column_stack(forward.transform(*xy.T)))


def to_lonlat(x: np.ndarray, y: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    return transformer(int(epsg), 4326).transform(x, y)
