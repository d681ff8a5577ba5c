"""Local imagery that covers none of the polygons stops before any job, saying where each lies;
imagery over some of them passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from fixtures.imagery import VIRGINIA, needs_sentinel2
from rasterio.transform import from_origin

from minescan.errors import MinescanInputError
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.local_coverage import check_local_coverage
from minescan.polygons.steps import check_polygons

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "resources" / "maus_sample" / "maus_v1_idn_kutai_demo.gpkg"


def _imagery(path: Path, patterns: list[str] | None = None) -> dict:
    local = {"path": str(path), "patterns": patterns}
    return {"backend": "local", "bands": ["B2", "B3", "B4"], "local": local}


@needs_sentinel2
def test_a_real_scene_elsewhere_is_named_before_any_job():
    polygons = check_polygons(str(DEMO))  # East Kalimantan; the scene is coastal Virginia
    with pytest.raises(MinescanInputError) as error:
        check_local_coverage(_imagery(VIRGINIA, ["s2_B*.tif"]), polygons)
    message = str(error.value)
    assert message.startswith(f"config: imagery.local.path {VIRGINIA}: its 1 scene(s) lie in [-7")
    assert "cover none of the 37 polygons of polygons.path (in [117." in message
    assert "not_covered" in message


def test_a_raster_over_the_polygons_passes(tmp_path):
    folder = tmp_path / "s2"
    folder.mkdir()
    bands = list(DEFAULT_BANDS)
    # 64 km of UTM 50S at 1 km pixels around the demo's mines (only the header is read).
    profile = {"driver": "GTiff", "width": 64, "height": 64, "count": len(bands), "dtype": "uint16"}
    with rasterio.open(
        folder / "scene.tif",
        "w",
        crs="EPSG:32750",
        transform=from_origin(500000, 10000000, 1000, 1000),
        **profile,
    ) as dst:
        dst.write(np.ones((len(bands), 64, 64), np.uint16))
        dst.descriptions = tuple(bands)
    check_local_coverage(_imagery(folder), check_polygons(str(DEMO)))
