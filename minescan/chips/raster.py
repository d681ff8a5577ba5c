"""The patch CNN as a scanner: 48 px windows of any image with the model's bands, at a
configurable stride (Amazon Mining Watch scans at half the patch, 24 px), into a probability
raster.

Output pixel (i, j) is the probability of the window whose top-left corner is pixel
(i * stride, j * stride) of the input; it is placed at that window's centre, ``stride`` input
pixels wide, so the raster covers the input less a border of ``(size - stride) / 2`` pixels.
Windows with less than half their pixels valid (any band non-zero) are NaN.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import rasterio
from numpy.lib.stride_tricks import sliding_window_view
from rasterio.transform import Affine

from minescan.atomic import atomic_path
from minescan.chips.cnn import Ensemble, load_models
from minescan.chips.load import CHIP_BANDS
from minescan.errors import MinescanInputError
from minescan.imagery.tile import read_tile
from minescan.outputs import geotiff_tags

LOG = logging.getLogger(__name__)


def score_windows(
    ensemble: Ensemble, image: np.ndarray, stride: int, size: int = 48, batch: int = 512
) -> np.ndarray:
    """Probabilities (rows, cols) of the windows of an (h, w, bands) reflectance image."""
    if ensemble.kind != "patch":
        raise MinescanInputError("model", f"a {ensemble.kind} model cannot scan single images")
    h, w = image.shape[:2]
    if stride < 1 or h < size or w < size:
        raise MinescanInputError(
            "image", f"{h} x {w} px cannot hold a {size} px window at stride {stride}"
        )
    windows = sliding_window_view(image, (size, size), axis=(0, 1))[::stride, ::stride]
    rows, cols = windows.shape[:2]
    valid = sliding_window_view(image.any(axis=-1), (size, size))[::stride, ::stride]
    valid = valid.mean(axis=(-2, -1)) >= 0.5
    flat = windows.reshape(rows * cols, *windows.shape[2:])  # (n, bands, size, size)
    out = np.full(rows * cols, np.nan, dtype=np.float32)
    todo = np.flatnonzero(valid.ravel())
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        out[chunk] = ensemble.probability(np.moveaxis(flat[chunk], 1, -1))
    return out.reshape(rows, cols)


def window_transform(transform: Affine, stride: int, size: int = 48) -> Affine:
    """Grid of the window centres: ``stride`` pixels wide, offset by (size - stride) / 2."""
    offset = (size - stride) / 2
    return transform @ Affine.translation(offset, offset) @ Affine.scale(stride)


def score_tile(
    model_path: str | Path,
    tile_path: str | Path,
    out_path: str | Path,
    stride: int,
    provenance: dict,
) -> np.ndarray:
    """A minescan tile (or any GeoTIFF with the six bands named) to a probability GeoTIFF."""
    models = load_models(model_path)
    if "presence" not in models:
        raise MinescanInputError(str(model_path), "holds no presence (patch) model")
    bands = list(models["presence"].band_names or CHIP_BANDS)
    try:
        tile = read_tile(tile_path, bands)
        data, transform, crs = tile.data, tile.transform, tile.crs
    except (KeyError, ValueError):
        with rasterio.open(tile_path) as src:
            names = list(src.descriptions)
            missing = [b for b in bands if b not in names]
            if missing:
                raise MinescanInputError(
                    str(tile_path),
                    f"bands {missing} are missing (has {names})",
                    f"the chip model needs {', '.join(bands)} named in the band descriptions",
                ) from None
            data = src.read([names.index(b) + 1 for b in bands])
            transform, crs = src.transform, src.crs
    probability = scan_to_raster(
        models["presence"], data, transform, crs, out_path, stride, provenance
    )
    LOG.info("%s: %d x %d windows at stride %d", tile_path, *probability.shape, stride)
    return probability


def scan_to_raster(
    scorer,
    data: np.ndarray,
    transform: Affine,
    crs,
    out_path: str | Path,
    stride: int,
    provenance: dict,
    size: int = 48,
    **tags: str,
) -> np.ndarray:
    """Score (bands, rows, cols) digital numbers in ``scorer``'s band order window by window
    (a chip-CNN ensemble or a chip screen) and write the probability GeoTIFF; returns the
    window grid."""
    image = np.moveaxis(np.asarray(data, dtype=np.float32), 0, -1)
    probability = score_windows(scorer, image, stride, size)
    grid = window_transform(transform, stride, size)
    write_probability(
        probability,
        grid,
        crs,
        out_path,
        provenance,
        stride_px=str(stride),
        window_px=str(size),
        **tags,
    )
    return probability


def write_probability(
    probability: np.ndarray,
    grid_transform: Affine,
    crs,
    out_path: str | Path,
    provenance: dict,
    **tags: str,
) -> None:
    """A window grid as a float32 GeoTIFF of the window centres (``window_transform``; NaN:
    unscored), with the provenance and ``tags``."""
    with (
        atomic_path(out_path) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            width=probability.shape[1],
            height=probability.shape[0],
            count=1,
            dtype="float32",
            crs=crs,
            transform=grid_transform,
            nodata=np.nan,
            compress="deflate",
        ) as dst,
    ):
        dst.write(probability.astype(np.float32), 1)
        dst.set_band_description(1, "mine_probability")
        dst.update_tags(**geotiff_tags(provenance), **tags)
