"""computePixels' documented limits, and the requests a cell is split into to stay inside them.

"Requests are limited to 48MB in uncompressed data per request, computed as the product of the
request dimensions in pixels, the number of image bands requested, and the number of bytes per
pixel for each band. Requests are also limited to at most 32K pixels in either dimension and at
most 1024 bands" (REST reference, projects.image.computePixels); a larger one is refused with
HTTP 400 ("Total request size (N bytes) must be less than or equal to 50331648 bytes"). With 11
uint16 bands a cell above about 1,500 px a side is too large for one request: it is fetched as
a grid of windows, each inside the limits, and mosaicked on the cell's own pixel grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from minescan.errors import MinescanInputError

MAX_REQUEST_BYTES = 48 * 1024 * 1024  # 50,331,648: the figure in Earth Engine's own message
MAX_SIDE_PX = 32768
MAX_BANDS = 1024
BYTES_PER_PIXEL = 2  # the composite is cast to uint16 before it is requested


@dataclass(frozen=True)
class Window:
    """Rows ``row:row + height`` and columns ``col:col + width`` of a cell's pixel grid."""

    row: int
    col: int
    height: int
    width: int


def request_bytes(width: int, height: int, bands: int) -> int:
    """Uncompressed size of a request, as computePixels counts it."""
    return width * height * bands * BYTES_PER_PIXEL


def check_bands_limit(bands: int) -> None:
    if bands > MAX_BANDS:
        raise MinescanInputError(
            "config",
            f"{bands} bands: Earth Engine computePixels returns at most {MAX_BANDS} per request",
            "request fewer bands",
        )


def split_windows(width: int, height: int, bands: int) -> list[Window]:
    """Windows covering a ``width`` x ``height`` grid, each within every computePixels limit:
    one window when the whole grid fits, else a balanced grid of near-square windows."""
    check_bands_limit(bands)
    fits_sides = width <= MAX_SIDE_PX and height <= MAX_SIDE_PX
    if fits_sides and request_bytes(width, height, bands) <= MAX_REQUEST_BYTES:
        return [Window(0, 0, height, width)]
    side = min(MAX_SIDE_PX, math.isqrt(MAX_REQUEST_BYTES // (bands * BYTES_PER_PIXEL)))
    n_cols, n_rows = math.ceil(width / side), math.ceil(height / side)
    col_edges = [round(i * width / n_cols) for i in range(n_cols + 1)]
    row_edges = [round(i * height / n_rows) for i in range(n_rows + 1)]
    windows = [
        Window(r0, c0, r1 - r0, c1 - c0)
        for r0, r1 in zip(row_edges, row_edges[1:], strict=False)
        for c0, c1 in zip(col_edges, col_edges[1:], strict=False)
    ]
    for w in windows:  # the balanced edges can only shrink windows below ``side``
        assert request_bytes(w.width, w.height, bands) <= MAX_REQUEST_BYTES
    return windows
