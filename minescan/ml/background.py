"""Real imagery without mines, cut into tiles, for counting false alarms per area.

Any folder the ``local`` imagery backend reads (per-band Sentinel-2 files or multi-band
GeoTIFFs with band descriptions) is indexed into scenes; each scene is cut into square tiles of
``tile_px`` pixels of ``pixel_size_m`` on its own grid (its CRS), read through the backend
(resampled to the pixel size, 0 as no data) and returned with the area of its valid pixels.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from minescan.cells import Cell
from minescan.imagery.backends.local import LocalBackend
from minescan.imagery.errors import CellSkipped
from minescan.ml.tiles import LabelledImage

LOG = logging.getLogger(__name__)
# Per-band files only (a folder may also hold previews or other rasters without band names).
BAND_FILES = ("*_B??.tif", "*_B??.jp2", "*_B8A.tif", "*_B8A.jp2")


def background_tiles(
    folder: str | Path, bands: Sequence[str], tile_px: int, pixel_size_m: float = 10.0
) -> Iterator[tuple[str, LabelledImage]]:
    """(tile id, pixels) of every tile that has data, scene by scene."""
    backend = LocalBackend(
        path=Path(folder), bands=tuple(bands), patterns=BAND_FILES, min_valid_fraction=0.01
    )
    side = tile_px * pixel_size_m
    for scene in backend.scenes():
        xmin, ymin, xmax, ymax = scene.bounds
        epsg = scene.crs.to_epsg()
        x0 = np.ceil(xmin / pixel_size_m) * pixel_size_m
        y1 = np.floor(ymax / pixel_size_m) * pixel_size_m
        name = Path(scene.key).name
        for iy, top in enumerate(np.arange(y1, ymin + side - 1e-6, -side)):
            for ix, left in enumerate(np.arange(x0, xmax - side + 1e-6, side)):
                cell = Cell(
                    f"{name}_{iy}_{ix}",
                    name,
                    0,
                    epsg,
                    left,
                    top - side,
                    left + side,
                    top,
                    pixel_size_m,
                )
                try:
                    image = backend.fetch(cell, np.zeros(cell.shape, dtype=np.uint8))
                except CellSkipped as skipped:
                    LOG.info("%s: skipped (%s)", cell.cell_id, skipped)
                    continue
                valid = np.all(image.data != 0, axis=0)
                yield (
                    cell.cell_id,
                    LabelledImage(image.bands, image.data, valid, None, cell.transform, cell.crs),
                )
