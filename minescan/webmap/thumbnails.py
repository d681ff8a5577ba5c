"""Tile previews as georeferenced image overlays: each RGB preview shrunk to a thumbnail and
warped from its cell's UTM grid onto Web Mercator, the projection the map draws in.

The map library places an image between two corners of its own projection; a UTM cell is
slightly rotated there (up to a few degrees at a zone's edge), so the thumbnail is warped, not
stretched, and the corners it does not cover stay transparent (WebP keeps alpha at a tenth of
PNG's size).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from rasterio.crs import CRS
from rasterio.transform import from_bounds
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

from minescan.atomic import atomic_path

log = logging.getLogger(__name__)
WEB_MERCATOR = CRS.from_epsg(3857)


def warp_thumbnail(
    image: np.ndarray, epsg: int, bounds: tuple[float, float, float, float], size_px: int
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """An RGB image (rows, cols, 3) covering ``bounds`` in ``epsg``, shrunk to about
    ``size_px`` and warped to Web Mercator: RGBA pixels and their west, south, east, north in
    degrees (the overlay's corners)."""
    source = Image.fromarray(image).convert("RGB")
    source.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
    rgb = np.moveaxis(np.asarray(source), -1, 0)
    crs = CRS.from_epsg(int(epsg))
    transform = from_bounds(*bounds, rgb.shape[2], rgb.shape[1])
    dst_transform, width, height = calculate_default_transform(
        crs, WEB_MERCATOR, rgb.shape[2], rgb.shape[1], *bounds
    )
    out = np.zeros((4, height, width), dtype=np.uint8)
    reproject(
        np.concatenate([rgb, np.full((1, *rgb.shape[1:]), 255, np.uint8)]),
        out,
        src_transform=transform,
        src_crs=crs,
        dst_transform=dst_transform,
        dst_crs=WEB_MERCATOR,
        resampling=Resampling.bilinear,
    )
    west, north = dst_transform @ (0, 0)
    east, south = dst_transform @ (width, height)
    corners = transform_bounds(WEB_MERCATOR, "EPSG:4326", west, south, east, north)
    return np.moveaxis(out, 0, -1), corners


def write_thumbnails(
    cells: pd.DataFrame,
    previews: Iterable[str | Path],
    folder: str | Path,
    size_px: int,
    prefix: str,
) -> list[dict[str, Any]]:
    """Thumbnails of the cells' previews (files named ``<cell_id>.jpg`` in the preview
    folders) in ``folder``; one overlay record per thumbnail, for the page's manifest."""
    by_id = cells.set_index("cell_id")
    records = []
    for preview_dir in previews:
        for preview in sorted(Path(preview_dir).glob("*.jpg")):
            if preview.stem not in by_id.index:
                continue
            cell = by_id.loc[preview.stem]
            bounds = (cell["xmin"], cell["ymin"], cell["xmax"], cell["ymax"])
            with Image.open(preview) as opened:
                pixels, corners = warp_thumbnail(
                    np.asarray(opened.convert("RGB")), cell["epsg"], bounds, size_px
                )
            out = Path(folder) / f"{preview.stem}.webp"
            with atomic_path(out) as tmp:
                Image.fromarray(pixels, "RGBA").save(tmp, format="WEBP", quality=80)
            west, south, east, north = corners
            records.append(
                {
                    "cell_id": preview.stem,
                    "name": cell.get("name", preview.stem),
                    "src": f"{prefix}/{out.name}",
                    "bounds": [[south, west], [north, east]],
                }
            )
    log.info("%d thumbnails of %d px in %s", len(records), size_px, folder)
    return records
