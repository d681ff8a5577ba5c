"""Unzipped SAFE products in the local backend, built from the real Brandenburg granule: one
scene per granule (Level-2A R10m/R20m/R60m or Level-1C IMG_DATA), each band at its finest
pixel size, the processing-baseline 04.00 offset taken from the product's metadata file."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.imagery import brandenburg_band, cell_row, needs_sentinel2, write_safe

from minescan.cells import cell_from_row
from minescan.errors import MinescanInputError
from minescan.imagery.backends.local import LocalBackend, index_folder
from minescan.imagery.check import check_raster_folder

pytestmark = needs_sentinel2
CELL = cell_from_row(cell_row(32633, 330000, 5822040, 2560))
BANDS = ("B2", "B4", "B8", "B8A", "B11", "B1")


def repeat(data: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(data, k, 0), k, 1)[:256, :256]


@pytest.mark.parametrize(("baseline", "dn_offset"), [("04.00", 1000), ("02.04", 0)])
def test_a_level_2a_safe_is_one_scene_with_each_band_at_its_finest(tmp_path, baseline, dn_offset):
    write_safe(tmp_path, "l2a", baseline, dn_offset)
    scenes = index_folder(tmp_path)
    assert len(scenes) == 1  # before: three scenes (R10m, R20m, R60m), each lacking bands
    scene = scenes[0]
    assert scene.level == "l2a" and scene.key.endswith("L2A_T33UUU_A008634_20170216T102101")
    assert {"B1", "B2", "B8", "B8A", "B9", "B11", "B12", "AOT"} <= set(scene.bands)
    assert "B10" not in scene.bands  # Level-2A has no cirrus band
    assert scene.bands["B2"][0].parent.name == "R10m"  # not its 20 m or 60 m average
    assert (
        scene.bands["B11"][0].parent.name == "R20m" and scene.bands["B1"][0].parent.name == "R60m"
    )

    image = LocalBackend(path=tmp_path, bands=(*BANDS, "AOT")).fetch(CELL, None)
    assert image.valid.all()
    assert np.array_equal(image.data[0], brandenburg_band("B02", 10))  # real reflectance
    assert np.array_equal(image.data[2], brandenburg_band("B08", 10))
    assert np.array_equal(image.data[4], repeat(brandenburg_band("B11", 20), 2))
    assert np.array_equal(image.data[5], repeat(brandenburg_band("B01", 60), 6))
    assert (image.data[6] == 123).all()  # AOT: no offset
    if dn_offset:
        assert "B2-1000" in image.tags["offsets"] and "AOT" not in image.tags["offsets"]
    else:
        assert "offsets" not in image.tags


@pytest.mark.parametrize(("baseline", "dn_offset"), [("04.00", 1000), ("02.04", 0)])
def test_a_level_1c_safe_is_one_scene_with_its_radiometric_offset(tmp_path, baseline, dn_offset):
    write_safe(tmp_path, "l1c", baseline, dn_offset)
    scenes = index_folder(tmp_path)
    assert len(scenes) == 1 and scenes[0].level == "l1c"
    assert "B10" in scenes[0].bands and "TCI_R" not in scenes[0].bands
    image = LocalBackend(path=tmp_path, bands=("B4", "B3", "B2", "B10")).fetch(CELL, None)
    for i, token in enumerate(("B04", "B03", "B02")):
        assert np.array_equal(image.data[i], brandenburg_band(token, 10))
    assert np.array_equal(image.data[3], repeat(brandenburg_band("B10", 60), 6))


def test_two_products_are_two_scenes_and_their_median_is_taken(tmp_path):
    write_safe(tmp_path / "a", "l2a", "04.00", 1000)
    write_safe(tmp_path / "b", "l2a", "02.04", 0)
    assert len(index_folder(tmp_path)) == 2
    image = LocalBackend(path=tmp_path, bands=("B2",)).fetch(CELL, None)
    assert np.array_equal(image.data[0], brandenburg_band("B02", 10))


def test_a_safe_of_the_other_level_is_named_before_any_job(tmp_path):
    write_safe(tmp_path, "l2a", "04.00", 1000)
    with pytest.raises(MinescanInputError, match=r"L2A SAFE product.*imagery.level is l1c"):
        check_raster_folder(str(tmp_path), "imagery.local.path", ["B2"], level="l1c")
    check_raster_folder(str(tmp_path), "imagery.local.path", ["B2", "B11"], level="l2a")


def test_a_safe_without_its_metadata_file_says_what_to_do(tmp_path):
    product = write_safe(tmp_path, "l2a", "04.00", 1000)
    (product / "MTD_MSIL2A.xml").unlink()
    with pytest.raises(MinescanInputError, match="MTD_MSIL2A.xml.*unzip the whole product"):
        index_folder(tmp_path)
