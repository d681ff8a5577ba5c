"""Before any job: what the footprints stage will read, checked where it would stop late.

Masks of 0 and 255 (as many tools export them) pass the detection checks and stop only when
the segmenter trains; a minimum footprint area below one pixel stops only at prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rasterio
from rasterio.transform import from_origin

from minescan.errors import MinescanInputError
from minescan.footprints.data import check_mask
from minescan.footprints.vectorise import check_min_area
from minescan.ml.folder import read_tiles_table


def footprints_labelled(
    footprints: Mapping[str, Any], detection: Mapping[str, Any]
) -> dict[str, str]:
    """The labelled folders the footprints stage trains on (null takes detection.labelled)."""
    labelled = footprints.get("labelled")
    if labelled is None:
        return {str(k): str(v) for k, v in (detection.get("labelled") or {}).items()}
    return {str(k): str(v) for k, v in labelled.items()}


def check_footprints_inputs(
    footprints: Mapping[str, Any], detection: Mapping[str, Any], pixel_size_m: float
) -> None:
    """footprints.min_area_m2 against one pixel of the tiles it predicts on (``pixel_size_m``,
    the largest of the predicted cell sets) and of each labelled folder, and every mask of
    the labelled folders holding only 0 and 1."""
    if not footprints.get("enabled"):
        return
    min_area = float(footprints["min_area_m2"])
    grid_pixel = from_origin(0, 0, float(pixel_size_m), float(pixel_size_m))
    check_min_area(min_area, grid_pixel, None, f"the predicted tiles ({pixel_size_m:g} m pixels)")
    for name, folder in footprints_labelled(footprints, detection).items():
        key = f"footprints.labelled.{name}"
        table = read_tiles_table(folder)
        with rasterio.open(table["image_file"].iloc[0]) as first:
            check_min_area(min_area, first.transform, first.crs, f"{key} ({folder})")
        for image, mask in zip(table["image_file"], table["mask_file"], strict=True):
            try:
                check_mask(image, mask)
            except MinescanInputError as error:
                raise MinescanInputError(
                    error.source, f"{error.problem} ({key})", _mask_remedy(error)
                ) from None


def _mask_remedy(error: MinescanInputError) -> str:
    if "[255]" in error.problem:
        return (
            "the masks are 0/255: write them as 0/1, e.g. "
            '`gdal_calc.py -A mask.tif --outfile=mask01.tif --calc="A>0" --type=Byte`'
        )
    return error.remedy


__all__ = ["check_footprints_inputs", "footprints_labelled"]
