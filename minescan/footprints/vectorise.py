"""Footprint polygons from a mask: holes kept, specks dropped, areas in m² on UTM.

Regions are 8-connected groups of footprint pixels (as the detection stage's mine regions);
``rasterio.features.shapes`` traces each with its holes on the tile's grid. Areas are measured
on the tile's own CRS where it is projected (minescan tiles are on UTM) and on the UTM zone of
the tile's centre where it is geographic (labelled folders delivered in EPSG:4326).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from scipy import ndimage

from minescan.errors import MinescanInputError
from minescan.ml.labels import EIGHT_CONNECTED
from minescan.utm import to_utm, utm_epsg

COLUMNS = [
    "footprint_id",
    "cell_id",
    "zoom",
    "epoch",
    "area_m2",
    "pixels",
    "mean_probability",
    "max_probability",
    "geometry",
]


def pixel_area_m2(transform, crs) -> float:
    """Area of one pixel in m² (geographic grids: at the grid origin's latitude)."""
    width, height = abs(transform.a), abs(transform.e)
    if crs is not None and crs.is_geographic:
        lat = transform.f
        return width * 111_320.0 * np.cos(np.radians(lat)) * height * 110_574.0
    return width * height


def check_min_area(min_area_m2: float, transform, crs, source: str) -> None:
    """A minimum area below one pixel keeps every speck: surely not what was meant."""
    pixel = pixel_area_m2(transform, crs)
    if min_area_m2 < pixel * (1 - 1e-6):
        raise MinescanInputError(
            "footprints.min_area_m2",
            f"{min_area_m2:g} m² is below one pixel ({pixel:.1f} m²) of {source}",
            f"give at least {pixel:.0f} m² (one pixel), e.g. {10 * pixel:.0f} m² for ten",
        )


def keep_large(mask: np.ndarray, transform, crs, min_area_m2: float) -> np.ndarray:
    """(labelled regions, their count) of ``mask`` with at least ``min_area_m2``."""
    labelled, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count == 0:
        return labelled
    sizes = np.bincount(labelled.ravel(), minlength=count + 1)
    small = sizes * pixel_area_m2(transform, crs) < min_area_m2
    small[0] = True
    labelled[small[labelled]] = 0
    return labelled


def footprints(
    mask: np.ndarray,
    prob: np.ndarray,
    transform,
    crs,
    *,
    min_area_m2: float,
    cell_id: str,
    zoom: int | None,
    epoch: str | None,
) -> gpd.GeoDataFrame:
    """One row per footprint of ``mask`` (bool), in EPSG:4326, with its area in m²."""
    check_min_area(min_area_m2, transform, crs, cell_id)
    labelled = keep_large(mask, transform, crs, min_area_m2)
    ids = np.unique(labelled[labelled > 0])
    if not len(ids):
        return gpd.GeoDataFrame(columns=COLUMNS, geometry="geometry", crs=4326)
    parts: dict[int, list] = {}
    for geometry, value in features.shapes(
        labelled.astype(np.int32), mask=labelled > 0, transform=transform, connectivity=8
    ):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
    shapes = np.array([shapely.make_valid(shapely.union_all(parts[int(i)])) for i in ids])
    filled = np.nan_to_num(prob, nan=0.0)
    mean = ndimage.mean(filled, labelled, ids)
    peak = ndimage.maximum(filled, labelled, ids)
    pixels = ndimage.sum(np.ones_like(filled), labelled, ids)
    frame = gpd.GeoDataFrame(
        {
            "footprint_id": [f"{cell_id}_{epoch or 'na'}_{k}" for k in range(len(ids))],
            "cell_id": cell_id,
            "zoom": zoom,
            "epoch": epoch,
            "pixels": np.asarray(pixels, dtype=np.int64),
            "mean_probability": np.round(np.asarray(mean, dtype=float), 4),
            "max_probability": np.round(np.asarray(peak, dtype=float), 4),
        },
        geometry=shapes,
        crs=crs,
    )
    frame["area_m2"] = np.round(metric_area(frame), 1)
    return frame.to_crs(4326)[COLUMNS]


def metric_area(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Areas in m²: on the frame's CRS when projected, else on the UTM zone of each centroid."""
    if not frame.crs.is_geographic:
        return frame.geometry.area.to_numpy()
    lonlat = frame.to_crs(4326)
    centre = lonlat.geometry.union_all().centroid
    epsg = int(utm_epsg(np.array([centre.x]), np.array([centre.y]))[0])
    return shapely.area(to_utm(lonlat.geometry.to_numpy(), epsg))
