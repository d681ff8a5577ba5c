"""A raster that is no band (an RGB preview, a Sentinel-2 TCI) beside band files points to
imagery.local.patterns, the setting that leaves it out, and the pattern it names works."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from fixtures.imagery import BRANDENBURG, VIRGINIA, needs_sentinel2
from rasterio.transform import from_origin

from minescan.errors import MinescanInputError
from minescan.imagery.check import check_imagery_inputs

BANDS = ["B2", "B3", "B4", "B8"]


def _imagery(path, patterns=None) -> dict:
    return {"backend": "local", "bands": BANDS, "local": {"path": str(path), "patterns": patterns}}


@needs_sentinel2
def test_a_preview_beside_real_band_files_points_to_patterns():
    with pytest.raises(MinescanInputError) as error:
        check_imagery_inputs(_imagery(VIRGINIA))
    assert error.value.source == str(VIRGINIA / "preview.tif")
    assert error.value.remedy.startswith("preview.tif is no band, beside band files")
    assert "imagery.local.patterns, e.g. ['*_B??.tif']" in error.value.remedy
    check_imagery_inputs(_imagery(VIRGINIA, ["*_B??.tif"]))  # the pattern named works


@needs_sentinel2
def test_a_tci_beside_real_band_files_is_called_a_true_colour_image(tmp_path):
    folder = tmp_path / "IMG_DATA"
    folder.mkdir()
    for band in ("B02", "B03", "B04", "B08"):
        name = f"T33UUU_20170216T102101_{band}.jp2"
        (folder / name).symlink_to(BRANDENBURG / name)
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": 3, "dtype": "uint8"}
    transform = from_origin(300000, 5800000, 10, 10)
    tci = folder / "T33UUU_20170216T102101_TCI.tif"
    with rasterio.open(tci, "w", crs="EPSG:32633", transform=transform, **profile) as dst:
        dst.write(np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(MinescanInputError) as error:
        check_imagery_inputs(_imagery(folder))
    assert error.value.remedy.startswith(f"{tci.name} is a true-colour image (TCI), not a band")
    assert "imagery.local.patterns, e.g. ['*_B??.jp2']" in error.value.remedy
    check_imagery_inputs(_imagery(folder, ["*_B??.jp2"]))
