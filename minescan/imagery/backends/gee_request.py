"""The Earth Engine requests of a cell: the harmonized collection of ``imagery.level``, the
Cloud Score+-masked median over the cell (a rectangle in its own CRS), at coarse pixels the 10 m
composite reduced over its clear pixels, and the computePixels grid of each window."""

from __future__ import annotations

import math
import re
from typing import Any

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.backends.gee_composite import (
    CLOUD_SCORE_PLUS,
    SR_COLLECTION,
    TOA_COLLECTION,
    Composite,
    tile_values,
)
from minescan.imagery.backends.gee_limits import Window, split_windows
from minescan.imagery.bands import NODATA

# The harmonized collections per imagery.level: their images of processing baseline 04.00 and
# later are shifted back by the +1000 offset; the older COPERNICUS/S2 and S2_SR are not.
COLLECTIONS = {"l2a": SR_COLLECTION, "l1c": TOA_COLLECTION}
NOT_HARMONIZED = {"COPERNICUS/S2": TOA_COLLECTION, "COPERNICUS/S2_SR": SR_COLLECTION}


WORKLOAD_TAG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")


def check_workload_tag(tag: str) -> str:
    """Earth Engine's rule for workload tags (``ee.data.setDefaultWorkloadTag``)."""
    if not WORKLOAD_TAG.match(str(tag)):
        raise MinescanInputError(
            "config",
            f"imagery.gee.workload_tag {tag!r} is not a valid Earth Engine workload tag",
            "use 1-63 letters, digits, dashes, underscores or dots, starting and ending with a "
            "letter or digit",
        )
    return str(tag)


def check_collection(collection: str | None, level: str) -> str:
    """The Earth Engine collection of ``imagery.level``: harmonized, of that level."""
    wanted = COLLECTIONS[level]
    if not collection:
        return wanted
    if collection in NOT_HARMONIZED:
        raise MinescanInputError(
            "config",
            f"imagery.gee.collection {collection} is not harmonized: its images from 25 January "
            "2022 on (processing baseline 04.00) carry +1000 on every band, 0.1 too bright",
            f"use {NOT_HARMONIZED[collection]}, or leave imagery.gee.collection null",
        )
    if collection != wanted:
        other = [lv for lv, c in COLLECTIONS.items() if c == collection]
        raise MinescanInputError(
            "config",
            f"imagery.gee.collection {collection} is "
            + (f"the {other[0]} collection" if other else "not a collection minescan composites")
            + f", and imagery.level is {level}",
            f"leave imagery.gee.collection null (imagery.level {level} reads {wanted})"
            + (f", or set imagery.level: {other[0]}" if other else ""),
        )
    return collection


def build_composite(
    ee: Any,
    region: Any,
    bands: tuple[str, ...],
    dates: tuple[str, str],
    collection: str = SR_COLLECTION,
    cloud_score_collection: str = CLOUD_SCORE_PLUS,
    cloud_score_band: str = "cs_cdf",
    clear_threshold: float = 0.6,
    max_cloud_cover: float = 60.0,
) -> Any:
    """The median of the Cloud Score+-masked images over ``region`` and ``dates`` (an ee.Image),
    as ``gee_composite.Composite`` describes it."""
    composite = Composite(
        tuple(bands),
        (str(dates[0]), str(dates[1])),
        collection,
        cloud_score_collection,
        cloud_score_band,
        float(clear_threshold),
        float(max_cloud_cover),
    )
    return composite.build(ee, region)


def quarters(window: Window) -> list[Window]:
    """The four quarters of a window (the right and bottom ones take the odd pixel)."""
    h, w = window.height // 2, window.width // 2
    return [
        Window(window.row + r, window.col + c, hh, ww)
        for r, hh in ((0, h), (h, window.height - h))
        for c, ww in ((0, w), (w, window.width - w))
    ]


def pixel_grid(cell: Cell, window: Window | None = None) -> dict[str, Any]:
    """The computePixels grid: the cell's CRS, transform and size, exactly (or a window of it,
    on the same pixel edges)."""
    window = window or Window(0, 0, cell.height, cell.width)
    return {
        "dimensions": {"width": window.width, "height": window.height},
        "affineTransform": {
            "scaleX": cell.pixel_size,
            "shearX": 0,
            "translateX": cell.xmin + window.col * cell.pixel_size,
            "shearY": 0,
            "scaleY": -cell.pixel_size,
            "translateY": cell.ymax - window.row * cell.pixel_size,
        },
        "crsCode": f"EPSG:{cell.epsg}",
    }


COMPOSITE_PIXEL_M = 10  # Cloud Score+ and the 10 m bands' own pixel: the composite's grid


def cell_region(ee: Any, cell: Cell) -> Any:
    """The cell as a rectangle in its own UTM CRS: planar there, so that a cell across the
    antimeridian is the cell, not the rest of its latitude band (a lon/lat ``Rectangle`` with
    west > east)."""
    return ee.Geometry.Rectangle(
        [cell.xmin, cell.ymin, cell.xmax, cell.ymax], f"EPSG:{cell.epsg}", False
    )


def aggregate_clear(ee: Any, composite: Any, cell: Cell, min_clear_share: float) -> Any:
    """The 10 m composite averaged to the cell's coarser pixels over its clear 10 m pixels only,
    no data where fewer than ``min_clear_share`` of them are clear (as the STAC backend does).

    Left to itself Earth Engine would mask clouds on its own pyramid, where Cloud Score+ is a
    mean of finer pixels: a block a fifth cloudy passes and the cloud is averaged in. Here the
    composite is pinned to the cell's 10 m grid (``setDefaultProjection``) and reduced with
    ``reduceResolution``, whose mean is weighted by the mask (masked pixels weigh nothing).
    """
    crs = f"EPSG:{cell.epsg}"
    fine = [COMPOSITE_PIXEL_M, 0, cell.xmin, 0, -COMPOSITE_PIXEL_M, cell.ymax]
    factor = cell.pixel_size / COMPOSITE_PIXEL_M
    max_pixels = max(64, (math.ceil(factor) + 1) ** 2)  # every 10 m pixel of a coarse one
    at_10m = composite.setDefaultProjection(crs=crs, crsTransform=fine)
    clear = (
        at_10m.mask()
        .reduce(ee.Reducer.min())  # clear in every band, as a tile's valid pixels are
        .setDefaultProjection(crs=crs, crsTransform=fine)
        .reduceResolution(reducer=ee.Reducer.mean(), maxPixels=max_pixels)
    )
    mean = at_10m.reduceResolution(reducer=ee.Reducer.mean(), maxPixels=max_pixels)
    return mean.updateMask(clear.gte(min_clear_share))


def to_request_image(image: Any) -> Any:
    """Reflectance rounded half up (as ``to_uint16_reflectance`` rounds the other backends'),
    valid pixels at least 1 and masked ones 0: a real median of 0 (dark water in B8A-B12 since
    the 2022 baseline) stays a valid pixel instead of reading as no data."""
    return tile_values(image).unmask(NODATA).toUint16()


def build_requests(
    ee: Any, cell: Cell, min_clear_share: float = 0.5, **composite: Any
) -> list[tuple[Window, dict[str, Any]]]:
    """The ``ee.data.computePixels`` requests of one cell (GeoTIFFs of the composite), one per
    window within computePixels' limits."""
    image = build_composite(ee, cell_region(ee, cell), **composite)
    if cell.pixel_size > COMPOSITE_PIXEL_M:
        image = aggregate_clear(ee, image, cell, min_clear_share)
    image = to_request_image(image)
    bands = list(composite["bands"])
    return [
        (
            window,
            {
                "expression": image,
                "fileFormat": "GEO_TIFF",
                "bandIds": bands,
                "grid": pixel_grid(cell, window),
            },
        )
        for window in split_windows(cell.width, cell.height, len(bands))
    ]


def build_request(ee: Any, cell: Cell, **composite: Any) -> dict[str, Any]:
    """The request of a cell that fits in one computePixels request."""
    requests = build_requests(ee, cell, **composite)
    if len(requests) != 1:
        raise ValueError(f"cell {cell.cell_id} needs {len(requests)} requests")
    return requests[0][1]
