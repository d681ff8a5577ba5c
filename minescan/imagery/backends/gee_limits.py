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
    one window when the whole grid fits, else the balanced grid with the fewest windows."""
    check_bands_limit(bands)
    fits_sides = width <= MAX_SIDE_PX and height <= MAX_SIDE_PX
    if fits_sides and request_bytes(width, height, bands) <= MAX_REQUEST_BYTES:
        return [Window(0, 0, height, width)]
    # The fewest windows: for each count of column bands, the rows each may hold.
    best = None
    for n_cols in range(math.ceil(width / MAX_SIDE_PX), width + 1):
        col_width = math.ceil(width / n_cols)
        max_rows = min(MAX_SIDE_PX, MAX_REQUEST_BYTES // (col_width * bands * BYTES_PER_PIXEL))
        if max_rows < 1:
            continue
        n_rows = math.ceil(height / max_rows)
        if best is None or n_cols * n_rows < best[0] * best[1]:
            best = (n_cols, n_rows)
        if n_rows == 1:  # more columns can only add windows
            break
    n_cols, n_rows = best
    col_edges = [round(i * width / n_cols) for i in range(n_cols + 1)]
    row_edges = [round(i * height / n_rows) for i in range(n_rows + 1)]
    windows = [
        Window(r0, c0, r1 - r0, c1 - c0)
        for r0, r1 in zip(row_edges, row_edges[1:], strict=False)
        for c0, c1 in zip(col_edges, col_edges[1:], strict=False)
    ]
    for w in windows:  # balanced edges: no window wider or taller than the bound it met
        assert request_bytes(w.width, w.height, bands) <= MAX_REQUEST_BYTES
    return windows
