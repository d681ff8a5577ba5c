"""Boxes from the mine band: one per connected mine region, with its polygon kept.

Regions are 8-connected groups of mine pixels; regions smaller than a minimum number of pixels
are dropped (a few stray pixels at a polygon's edge are no object). Boxes are written in the
YOLO format (class, centre x, centre y, width, height, all relative to the image); each
region's outline is kept in the YOLO segmentation format beside them for later instance
segmentation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from rasterio import features
from scipy import ndimage

from minescan.errors import MinescanInputError

MINE_CLASS = 0
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Region:
    """A connected mine region in pixel coordinates: box edges (x0, y0, x1, y1), its pixel
    count and its outline (a polygon in column/row units, pixel edges)."""

    x0: int
    y0: int
    x1: int
    y1: int
    pixels: int
    outline: shapely.Geometry

    @property
    def box(self) -> tuple[float, float, float, float]:
        return float(self.x0), float(self.y0), float(self.x1), float(self.y1)


def mine_regions(mine: np.ndarray, min_pixels: int = 1) -> list[Region]:
    """Connected regions of ``mine > 0`` with at least ``min_pixels`` pixels, largest first."""
    labelled, count = ndimage.label(mine > 0, structure=EIGHT_CONNECTED)
    if count == 0:
        return []
    sizes = np.bincount(labelled.ravel(), minlength=count + 1)
    outlines: dict[int, list] = {}
    for geometry, value in features.shapes(
        labelled.astype(np.int32), mask=labelled > 0, connectivity=8
    ):
        outlines.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
    regions = []
    for index, window in enumerate(ndimage.find_objects(labelled), start=1):
        if window is None or sizes[index] < min_pixels:
            continue
        rows, cols = window
        regions.append(
            Region(
                cols.start,
                rows.start,
                cols.stop,
                rows.stop,
                int(sizes[index]),
                shapely.union_all(outlines[index]),
            )
        )
    return sorted(regions, key=lambda r: -r.pixels)


def check_box(box: Sequence[float], width: int, height: int, source: str) -> None:
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise MinescanInputError(
            source,
            f"label box {tuple(round(v, 2) for v in box)} lies outside its {width} x {height} "
            "image or is empty",
            "fix the mask or label file so that every box lies inside the image",
        )


def yolo_boxes(regions: Sequence[Region], width: int, height: int, source: str) -> str:
    """The YOLO label file's text: one ``class xc yc w h`` line per region."""
    lines = []
    for region in regions:
        check_box(region.box, width, height, source)
        x0, y0, x1, y1 = region.box
        lines.append(
            f"{MINE_CLASS} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} "
            f"{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"
        )
    return "".join(line + "\n" for line in lines)


def yolo_polygons(regions: Sequence[Region], width: int, height: int) -> str:
    """The YOLO segmentation label text: one ``class x1 y1 x2 y2 ...`` line per region (its
    largest part's exterior)."""
    lines = []
    for region in regions:
        parts = getattr(region.outline, "geoms", [region.outline])
        ring = max(parts, key=lambda p: p.area).exterior.coords[:-1]
        coords = " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in ring)
        lines.append(f"{MINE_CLASS} {coords}")
    return "".join(line + "\n" for line in lines)


def read_yolo_boxes(path: str | Path, width: int, height: int) -> np.ndarray:
    """Boxes of a YOLO label file as (n, 4) pixel x0, y0, x1, y1; checks they fit the image."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            _, xc, yc, w, h = (float(v) for v in line.split()[:5])
        except ValueError as error:
            raise MinescanInputError(
                f"{path}, line {number}", f"not a YOLO box line ({error})"
            ) from error
        box = (
            (xc - w / 2) * width,
            (yc - h / 2) * height,
            (xc + w / 2) * width,
            (yc + h / 2) * height,
        )
        check_box(tuple(np.round(box, 3)), width, height, f"{path}, line {number}")
        rows.append(box)
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)
