"""Scan a Level-1C scene folder with a chip screen and count its alarms.

A scene folder holds one raster per band, named ``..._B01.jp2`` or ``s2_B01.tif`` (as the
SAFE product's IMG_DATA and most exports name them). The screen's bands are read in its order
and the 20 m and 60 m bands brought onto the grid of its finest band with nearest-neighbour
resampling by default: Earth Engine, where AMW's training chips were cut, resamples that way
unless told otherwise. Pixels where any band is zero (Level-1C no-data) are no-data in every
band, and only windows wholly inside valid data are scored.

On a scene without mines every alarm is a false alarm: ``scan_scene`` reports, per threshold,
the windows above it and the connected alarm sites (8-connected on the window grid), each per
100 km² of the valid area the scored windows cover, and the same after AMW's dual-threshold
spatial prior where the screen has one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import rasterio
from numpy.lib.stride_tricks import sliding_window_view
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window
from scipy import ndimage
from scipy.spatial import cKDTree

from minescan.chips.raster import score_windows, window_transform, write_probability
from minescan.chips.screen import ChipScreen
from minescan.errors import MinescanInputError

BAND_NAME = re.compile(r"(?:^|_)(B(?:0[1-9]|1[0-2]|8A))$", re.IGNORECASE)
RASTER_SUFFIXES = {".tif", ".tiff", ".jp2"}
STRIP_ROWS = 16  # window rows scored at a time: bounds the memory of the window copies


def band_files(folder: str | Path) -> dict[str, Path]:
    """Band name ('B01' ... 'B12', 'B8A') to its raster in a scene folder (searched deeply)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MinescanInputError(str(folder), "is not a folder", "give a scene folder of bands")
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        match = BAND_NAME.search(path.stem)
        if path.suffix.lower() in RASTER_SUFFIXES and match:
            found.setdefault(match.group(1).upper(), path)
    return found


def read_scene(
    folder: str | Path,
    bands: tuple[str, ...],
    resampling: str = "nearest",
    crop: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, rasterio.Affine, object]:
    """(h, w, bands) uint16 digital numbers on the finest band's grid, its transform and CRS.

    ``crop`` = (row, col, height, width) on that grid reads only part of the scene.
    """
    files = band_files(folder)
    missing = [b for b in bands if b not in files]
    if missing:
        raise MinescanInputError(
            str(folder),
            f"band(s) {', '.join(missing)} missing (found {', '.join(sorted(files)) or 'none'})",
            "the screen needs " + ", ".join(bands) + " as files named like *_B01.jp2 or *_B01.tif",
        )
    try:
        method = Resampling[resampling]
    except KeyError:
        raise MinescanInputError("resampling", f"unknown method '{resampling}'") from None
    sizes = {}
    for b in bands:
        with rasterio.open(files[b]) as src:
            sizes[b] = abs(src.transform.a)
    reference = min(bands, key=lambda b: sizes[b])
    with rasterio.open(files[reference]) as ref:
        if crop:
            row, col, height, width = crop
            window = Window(col, row, width, height)
        else:
            window = Window(0, 0, ref.width, ref.height)
        transform = ref.window_transform(window)
        crs = ref.crs
        shape = (int(window.height), int(window.width))
    image = np.zeros((*shape, len(bands)), dtype=np.uint16)
    for i, b in enumerate(bands):
        with rasterio.open(files[b]) as src:
            if src.crs != crs:
                raise MinescanInputError(
                    str(files[b]),
                    f"is in {src.crs}, the other bands in {crs}",
                    "give one scene's bands, all in one projection",
                )
            if b == reference or (src.transform == ref.transform and src.shape == ref.shape):
                image[..., i] = src.read(1, window=window, boundless=True, fill_value=0)
            else:
                dst = np.zeros(shape, dtype=np.uint16)
                reproject(
                    rasterio.band(src, 1),
                    dst,
                    dst_transform=transform,
                    dst_crs=crs,
                    resampling=method,
                    src_nodata=0,
                    dst_nodata=0,
                )
                image[..., i] = dst
    image[~(image > 0).all(axis=-1)] = 0
    return image, transform, crs


def scan_image(screen: ChipScreen, image: np.ndarray, stride: int) -> np.ndarray:
    """Probability grid (rows, cols) of the screen's windows over an image of digital numbers;
    NaN where a window is not wholly valid."""
    size = screen.size
    h, w = image.shape[:2]
    if h < size or w < size:
        raise MinescanInputError("scene", f"{h} x {w} px cannot hold a {size} px window")
    rows = (h - size) // stride + 1
    parts = []
    for r0 in range(0, rows, STRIP_ROWS):
        r1 = min(rows, r0 + STRIP_ROWS)
        strip = image[r0 * stride : (r1 - 1) * stride + size]
        parts.append(score_windows(screen, strip, stride, size=size))
    grid = np.concatenate(parts, axis=0)
    valid = sliding_window_view(image.any(axis=-1), (size, size))[::stride, ::stride]
    grid[~valid.all(axis=(-2, -1))] = np.nan
    return grid


def dual_threshold(
    grid: np.ndarray,
    transform: rasterio.Affine,
    t_main: float,
    t_iso: float,
    k: int = 5,
    isolation_m: float = 3000.0,
) -> np.ndarray:
    """AMW's spatial prior on a window grid: windows at ``t_main`` or above are kept, but one
    whose k-th nearest such window lies farther than ``isolation_m`` (or that has fewer than k
    such neighbours) must reach ``t_iso``. ``transform`` maps grid cells to metres."""
    above = np.nan_to_num(grid, nan=0.0) >= t_main
    keep = np.zeros_like(above)
    rows, cols = np.nonzero(above)
    if len(rows) == 0:
        return keep
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    points = np.column_stack([xs, ys])
    if len(points) > k:
        distance = cKDTree(points).query(points, k=k + 1)[0][:, k]
    else:
        distance = np.full(len(points), np.inf)
    isolated = distance > isolation_m
    keep[rows, cols] = ~isolated | (grid[rows, cols] >= t_iso)
    return keep


def alarm_counts(alarms: np.ndarray, km2: float) -> dict:
    """Windows and 8-connected sites of a boolean window grid, also per 100 km²."""
    sites = ndimage.label(alarms, structure=np.ones((3, 3), dtype=int))[1]
    windows = int(alarms.sum())
    per = 100.0 / km2 if km2 > 0 else float("nan")
    return {
        "windows": windows,
        "sites": int(sites),
        "windows_per_100km2": windows * per,
        "sites_per_100km2": sites * per,
    }


def covered_km2(
    image: np.ndarray, grid: np.ndarray, stride: int, size: int, pixel_m: float
) -> float:
    """Valid area under the scored (finite) windows, in km²."""
    covered = np.zeros(image.shape[:2], dtype=bool)
    for r, c in zip(*np.nonzero(np.isfinite(grid)), strict=True):
        covered[r * stride : r * stride + size, c * stride : c * stride + size] = True
    return float((covered & image.any(axis=-1)).sum()) * pixel_m**2 / 1e6


def scan_scene(
    model: ChipScreen,
    scene_folder: str | Path,
    stride: int | None = None,
    resampling: str = "nearest",
    crop: tuple[int, int, int, int] | None = None,
) -> dict:
    """Scan a scene with a screen at ``stride`` (half the window by default, as AMW does).

    Returns the figures (windows, km², alarms per threshold and under the dual-threshold prior,
    seconds to read and to score) and, under ``grid``, ``transform`` and ``crs``, the score
    grid of window centres with its georeference.
    """
    stride = stride or model.size // 2
    t0 = time.perf_counter()
    image, transform, crs = read_scene(scene_folder, model.bands, resampling, crop)
    t1 = time.perf_counter()
    grid = scan_image(model, image, stride)
    t2 = time.perf_counter()
    pixel_m = abs(transform.a)
    km2 = covered_km2(image, grid, stride, model.size, pixel_m)
    grid_transform = window_transform(transform, stride, model.size)
    figures = {
        "model": model.name,
        "scene": Path(scene_folder).name,
        "bands": list(model.bands),
        "window_px": model.size,
        "stride_px": stride,
        "resampling": resampling,
        "pixel_m": pixel_m,
        "image_shape": list(image.shape[:2]),
        "grid_shape": list(grid.shape),
        "windows_scored": int(np.isfinite(grid).sum()),
        "valid_km2": km2,
        "seconds_read": t1 - t0,
        "seconds_score": t2 - t1,
        "max_probability": float(np.nanmax(grid)) if np.isfinite(grid).any() else float("nan"),
        "thresholds": {},
    }
    scores = np.nan_to_num(grid, nan=0.0)
    for name, threshold in model.thresholds.items():
        figures["thresholds"][name] = {"threshold": threshold} | alarm_counts(
            scores >= threshold, km2
        )
    if model.dual_threshold:
        t_main, t_iso = model.dual_threshold
        kept = dual_threshold(grid, grid_transform, t_main, t_iso)
        figures["dual_threshold"] = {"t_main": t_main, "t_iso": t_iso, "k": 5, "isolation_km": 3.0}
        figures["dual_threshold"] |= alarm_counts(kept, km2)
    figures["grid"] = grid
    figures["transform"] = grid_transform
    figures["crs"] = crs
    return figures


def write_score_raster(figures: dict, path: str | Path, provenance: dict) -> None:
    """The score grid of ``scan_scene`` as a float32 GeoTIFF of window centres (NaN: unscored)."""
    write_probability(
        figures["grid"],
        figures["transform"],
        figures["crs"],
        path,
        provenance,
        model=figures["model"],
        window_px=str(figures["window_px"]),
        stride_px=str(figures["stride_px"]),
    )
