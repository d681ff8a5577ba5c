"""One band of a local raster onto a cell's pixel grid: a windowed read where the grids line up,
a GDAL warp otherwise."""

from __future__ import annotations

import numpy as np
import rasterio
import rasterio.windows
from rasterio.warp import Resampling, reproject

from minescan.cells import Cell
from minescan.imagery.bands import BANDS


def band_resampling(band: str, pixel_size: float, configured: str) -> Resampling:
    """The configured method when refining or keeping a band's resolution; the mean of the
    source pixels when the cell's pixels are coarser (pyramid levels), which nearest would alias."""
    if pixel_size > BANDS[band].resolution_m:
        return Resampling.average
    return Resampling[configured]


def aligned_window(src, cell: Cell, method: Resampling) -> rasterio.windows.Window | None:
    """The band's window that GDAL reads straight onto the cell's pixels, or None when only a
    warp will do.

    Two cases, both in the cell's CRS with north-up pixels and wholly inside the band:
    averaging onto coarser cell pixels, when the cell's edges fall on the band's pixel edges
    (whole source pixels; the means come rounded to the band's integer type); nearest onto cell
    pixels a whole number of times finer than the band's (20 m and 60 m bands on a 10 m cell),
    when the cell's edges fall on that finer grid, so that every cell pixel lies inside one
    band pixel: the warp's pixels, as nearest has no ties to break. The window is then
    fractional (a 60 m band starting 40 m into a pixel), which GDAL reads as such.
    """
    t = src.transform
    res = t.a
    if src.crs != cell.crs or t.b or t.d or t.e != -res:
        return None
    if method == Resampling.average and res <= cell.pixel_size:
        unit = res  # offsets and sizes in whole band pixels
    elif method == Resampling.nearest and res >= cell.pixel_size:
        if not (res / cell.pixel_size).is_integer():
            return None
        unit = cell.pixel_size  # offsets and sizes in whole cell pixels
    else:
        return None
    col, row = (cell.xmin - t.c) / unit, (t.f - cell.ymax) / unit
    width, height = cell.width * cell.pixel_size / unit, cell.height * cell.pixel_size / unit
    if not all(float(v).is_integer() for v in (col, row, width, height)):
        return None
    scale = unit / res
    window = rasterio.windows.Window(col * scale, row * scale, width * scale, height * scale)
    inside = (
        window.col_off >= 0
        and window.row_off >= 0
        and window.col_off + window.width <= src.width
        and window.row_off + window.height <= src.height
    )
    return window if inside else None  # cells over the scene's edge: the warp fills no data


def read_band(
    src,
    index: int,
    cell: Cell,
    nodata: float | None,
    method: Resampling,
    out: np.ndarray,
) -> None:
    """Fill ``out`` (the cell's shape) with band ``index`` of ``src``.

    ``out`` in the band's own dtype (uint16) keeps the numbers and marks no data with
    ``nodata``; ``out`` in float32 marks it NaN. A windowed read, where the grids line up
    (``aligned_window``), is several times faster than the warp.
    """
    floating = np.issubdtype(out.dtype, np.floating)
    window = aligned_window(src, cell, method)
    if window is None:
        reproject(
            source=rasterio.band(src, index),
            destination=out,
            src_nodata=nodata,
            dst_transform=cell.transform,
            dst_crs=cell.crs,
            dst_nodata=np.nan if floating else nodata,
            resampling=method,
        )
        return
    if not floating:
        src.read(index, window=window, out=out, resampling=method)
        return
    data = src.read(index, window=window, out_shape=cell.shape, resampling=method)
    out[...] = data
    if nodata is not None:
        out[data == nodata] = np.nan
