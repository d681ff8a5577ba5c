"""A labelled tile's pixels as every learning stage reads them: the spectral bands, the valid
pixels, the mine mask (the tile's ``_mine`` band or a separate mask) and the grid, and the area
of one pixel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from minescan.errors import MinescanInputError
from minescan.imagery.bands import MINE_BAND, NODATA


@dataclass
class LabelledImage:
    """One tile's pixels: spectral bands (band, row, col) uint16, validity, mine mask, grid."""

    bands: tuple[str, ...]
    data: np.ndarray
    valid: np.ndarray
    mine: np.ndarray | None
    transform: Any
    crs: Any

    @property
    def shape(self) -> tuple[int, int]:
        return self.valid.shape


def read_image(path: str | Path, mask: str | Path | None = None, need_mine: bool = True):
    """A tile's pixels: a minescan tile (mine band inside) or an image with a separate mask.

    Band names come from the band descriptions; 0 is no data in every band.
    """
    try:
        with rasterio.open(path) as src:
            names = tuple(src.descriptions)
            stack = src.read()
            transform, crs = src.transform, src.crs
    except RasterioError as error:
        raise MinescanInputError(path, f"cannot be read as a raster ({error})") from error
    if any(n is None for n in names):
        raise MinescanInputError(
            path, "bands have no descriptions", "name the bands (B2, B3, ...) in the file"
        )
    mine = None
    if MINE_BAND in names:
        mine = stack[names.index(MINE_BAND)] > 0
        keep = [i for i, n in enumerate(names) if n != MINE_BAND]
        stack, names = stack[keep], tuple(names[i] for i in keep)
    if mask is not None:
        try:
            with rasterio.open(mask) as src:
                mine = src.read(1) > 0
        except RasterioError as error:
            raise MinescanInputError(mask, f"cannot be read as a mask ({error})") from error
        if mine.shape != stack.shape[1:]:
            raise MinescanInputError(
                mask, f"mask {mine.shape} does not match its image {stack.shape[1:]} ({path})"
            )
    if mine is None and need_mine:
        raise MinescanInputError(
            path,
            f"no {MINE_BAND} band and no mask: the tile carries no labels",
            "rebuild the tiles with the imagery stage, or give a mask column in tiles.csv",
        )
    valid = np.all(stack != NODATA, axis=0)
    return LabelledImage(names, stack, valid, mine, transform, crs)


def pixel_area_km2(image: LabelledImage) -> float:
    """Area of one pixel in km² (geographic CRSs: at the tile's centre latitude)."""
    width, height = abs(image.transform.a), abs(image.transform.e)
    if image.crs is not None and image.crs.is_geographic:
        row, col = image.shape[0] / 2, image.shape[1] / 2
        _, lat = image.transform * (col, row)
        metres = 111_320.0
        return width * metres * np.cos(np.radians(lat)) * height * 110_574.0 / 1e6
    return width * height / 1e6
