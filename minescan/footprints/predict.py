"""Mine probability over whole tiles of any size, in overlapping windows blended without seams.

Each window's probabilities are weighted by a separable sine bump (highest at the window's
centre, near zero at its edges) and the weighted sum is divided by the sum of weights: a
pixel near one window's edge takes its value mostly from the neighbour that sees it near its
centre, where the network has context on all sides, so no seam shows where windows meet. A
tile's border pixels are covered only by windows that end there; the division makes their
weights cancel. Windows are padded to a multiple of the encoder's stride with no data (0).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import torch

from minescan.atomic import atomic_path
from minescan.footprints.model import Segmenter
from minescan.ml.boxes import windows
from minescan.outputs import geotiff_tags

# Probability COGs: uint8 in steps of 1/250 (QGIS reads the scale), 255 = no data.
PROBABILITY_SCALE = 1 / 250
NODATA_U8 = 255


def blend_weights(height: int, width: int) -> np.ndarray:
    """(height, width) float32 sine bump, strictly positive so every pixel gets a weight."""

    def bump(n: int) -> np.ndarray:
        return np.sin(np.pi * (np.arange(n) + 0.5) / n).astype(np.float32) + 1e-3

    return np.outer(bump(height), bump(width))


def _pad(window: np.ndarray, multiple: int) -> np.ndarray:
    height, width = window.shape[1:]
    ph, pw = -height % multiple, -width % multiple
    return np.pad(window, ((0, 0), (0, ph), (0, pw))) if ph or pw else window


def probability(
    segmenter: Segmenter,
    pixels: np.ndarray,
    valid: np.ndarray,
    window_px: int,
    overlap_px: int,
    batch: int = 4,
    device: str = "cpu",
) -> np.ndarray:
    """(row, col) float32 mine probability of a (channel, row, col) uint8 tile; NaN where no
    data."""
    height, width = valid.shape
    total = np.zeros((height, width), np.float32)
    weight = np.zeros((height, width), np.float32)
    starts = [
        (y, x)
        for y in windows(height, window_px, overlap_px)
        for x in windows(width, window_px, overlap_px)
    ]
    net = segmenter.net.to(device).eval()
    for first in range(0, len(starts), batch):
        chunk = starts[first : first + batch]
        # Every window of a tile has one shape (the last of a row is shifted back inside).
        cuts = [pixels[:, y : y + window_px, x : x + window_px] for y, x in chunk]
        padded = np.stack([_pad(c, segmenter.multiple) for c in cuts])
        with torch.inference_mode():
            tensor = torch.from_numpy(padded.astype(np.float32) / 255.0)
            out = torch.sigmoid(net(tensor.to(device))).cpu().numpy()[:, 0]
        for (y, x), cut, prob in zip(chunk, cuts, out, strict=True):
            h, w = cut.shape[1:]
            bump = blend_weights(h, w)
            total[y : y + h, x : x + w] += prob[:h, :w] * bump
            weight[y : y + h, x : x + w] += bump
    result = total / np.maximum(weight, 1e-12)
    result[~valid] = np.nan
    return result


def _profile(height: int, width: int, transform: Any, crs: Any) -> dict[str, Any]:
    return {
        "driver": "COG",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": crs,
        "transform": transform,
        "nodata": NODATA_U8,
        "compress": "zstd",
        "level": 1,
        "blocksize": 256,
        "overviews": "AUTO" if max(height, width) > 1024 else "NONE",
    }


def write_rasters(
    probability_path: str | Path,
    mask_path: str | Path,
    prob: np.ndarray,
    mask: np.ndarray,
    transform: Any,
    crs: Any,
    provenance: Mapping[str, Any],
    tags: Mapping[str, str],
) -> None:
    """The probability (uint8, scale 1/250) and the footprint mask (0/1) COGs of one tile."""
    nodata = np.isnan(prob)
    scaled = np.where(nodata, NODATA_U8, np.rint(np.nan_to_num(prob) * 250)).astype(np.uint8)
    binary = np.where(nodata, NODATA_U8, mask.astype(np.uint8))
    profile = _profile(*prob.shape, transform, crs)
    for path, data, description, extra in (
        (probability_path, scaled, "mine_probability", {"scale": str(PROBABILITY_SCALE)}),
        (mask_path, binary, "footprint", {"values": "1 footprint, 0 not, 255 no data"}),
    ):
        with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data, 1)
            dst.descriptions = (description,)
            if description == "mine_probability":
                dst.scales = (PROBABILITY_SCALE,)
            dst.update_tags(**tags, **extra, **geotiff_tags(provenance))
