"""Footprints mistakes that used to stop late, now named before any job: masks of 0 and 255
(they stopped in the segmenter's training) and a minimum area below one pixel (it stopped at
prediction)."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasterio
import yaml
from fixtures.detection import labelled_folder

from minescan.errors import MinescanInputError
from minescan.footprints.check import check_footprints_inputs

REPO = Path(__file__).resolve().parents[3]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _footprints(**values) -> dict:
    return {**CONFIG["footprints"], **values}


def _as_0_255(folder: Path, tile: str) -> None:
    path = folder / "masks" / f"{tile}.tif"
    with rasterio.open(path, "r+") as dst:
        dst.write(dst.read() * 255)


def test_the_demo_passes_and_a_good_labelled_folder_too(tmp_path):
    check_footprints_inputs(CONFIG["footprints"], CONFIG["detection"], 10)
    folder = labelled_folder(tmp_path / "tiles", count=3, size=32)
    check_footprints_inputs(_footprints(labelled={"tiles": str(folder)}), {}, 10)


def test_masks_of_0_and_255_are_named_with_their_key_and_fix(tmp_path):
    folder = labelled_folder(tmp_path / "tiles", count=3, size=32)
    _as_0_255(folder, "tile_001")
    with pytest.raises(MinescanInputError) as error:
        check_footprints_inputs(_footprints(labelled={"tiles": str(folder)}), {}, 10)
    assert error.value.source == str(folder / "masks" / "tile_001.tif")
    assert "holds values [255] besides 0 and 1 (footprints.labelled.tiles)" in error.value.problem
    assert error.value.remedy.startswith("the masks are 0/255: write them as 0/1")


def test_detection_folders_are_checked_when_footprints_take_them(tmp_path):
    folder = labelled_folder(tmp_path / "tiles", count=3, size=32)
    _as_0_255(folder, "tile_002")
    with pytest.raises(MinescanInputError, match="footprints.labelled.tailings"):
        check_footprints_inputs(
            _footprints(labelled=None), {"labelled": {"tailings": str(folder)}}, 10
        )
    check_footprints_inputs(_footprints(enabled=False), {"labelled": {"x": str(folder)}}, 10)


@pytest.mark.parametrize(("pixel", "ok"), [(10, False), (4, True)])
def test_a_minimum_area_below_one_pixel_is_refused_before_any_job(pixel, ok):
    footprints = _footprints(min_area_m2=50)
    if ok:
        check_footprints_inputs(footprints, {}, pixel)
        return
    with pytest.raises(MinescanInputError) as error:
        check_footprints_inputs(footprints, {}, pixel)
    assert str(error.value).startswith(
        "footprints.min_area_m2: 50 m² is below one pixel (100.0 m²) of the predicted tiles"
    )
