"""imagery.level: Level-1C composites from Earth Engine for the shipped chip models, and the
collection and band checks that run before any job, each naming the key to change."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.fake_ee import FakeEE, pixel_value
from fixtures.imagery import cell_row

from minescan.cells import cell_from_row
from minescan.errors import MinescanInputError
from minescan.imagery.backends import gee
from minescan.imagery.remote_check import check_imagery
from minescan.imagery.request import tile_request

CELL = cell_from_row(cell_row(32750, 511120, 9944740, 1280))
ALL_13 = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")


def imagery(backend: str = "gee", **extra) -> dict:
    base = {"backend": backend, "bands": ["B4", "B3", "B2"], "gee": {"project": "p"}}
    return {**base, **extra}


def test_level_1c_composite_has_the_13_toa_bands_as_reflectance_x_10000():
    fake = FakeEE()
    b = gee.GeeBackend.from_config(imagery(level="l1c", bands=list(ALL_13)))
    b._ee = fake
    image = b.fetch(CELL, None)
    collections = [args[0] for name, args in fake.calls if name == "ImageCollection"]
    assert sorted(collections) == [
        "COPERNICUS/S2_HARMONIZED",
        "GOOGLE/CLOUD_SCORE_PLUS/V1/S2_HARMONIZED",
    ]
    assert fake.requests[0]["bandIds"] == list(ALL_13)
    # The fake serves digital numbers (reflectance x 10000); the tile keeps them as they are.
    row0, col0 = round(-CELL.ymax / 10), round(CELL.xmin / 10)
    rows, cols = np.mgrid[row0 : row0 + CELL.height, col0 : col0 + CELL.width]
    assert np.array_equal(image.data[10], pixel_value(rows, cols, 10))  # B10, cirrus
    assert image.tags["level"].startswith("l1c: Level-1C top-of-atmosphere")


@pytest.mark.parametrize(
    ("collection", "message"),
    [
        ("COPERNICUS/S2_SR", r"imagery.gee.collection COPERNICUS/S2_SR is not harmonized"),
        ("COPERNICUS/S2", r"imagery.gee.collection COPERNICUS/S2 is not harmonized"),
        ("COPERNICUS/S2_HARMONIZED", r"is the l1c collection, and imagery.level is l2a"),
    ],
)
def test_collections_other_than_the_levels_harmonized_one_are_refused_before_any_job(
    collection, message
):
    with pytest.raises(MinescanInputError, match=message):
        check_imagery(imagery(gee={"project": "p", "collection": collection}))


@pytest.mark.parametrize("backend", ["gee", "local"])
@pytest.mark.parametrize("band", ["AOT", "TCI_R"])
def test_level_2a_only_bands_are_refused_with_level_1c(backend, band):
    config = imagery(backend, level="l1c", bands=["B2", band], local={"path": "."})
    with pytest.raises(MinescanInputError, match=rf"imagery.bands \['{band}'\].*level is l1c"):
        if backend == "gee":
            check_imagery(config)
        else:
            from minescan.imagery.check import check_imagery_inputs

            check_imagery_inputs(config)  # before any job, before the folder is read


def test_stac_says_plainly_it_has_no_level_1c_source():
    config = imagery("stac", level="l1c")
    with pytest.raises(MinescanInputError, match="imagery.level is l1c.*SCL.*imagery.backend gee"):
        check_imagery(config)


def test_an_unknown_level_is_named():
    with pytest.raises(MinescanInputError, match="imagery.level 'toa' is unknown"):
        check_imagery(imagery(level="toa"))


def test_the_level_changes_the_tiles_request_only_when_not_the_default():
    base = imagery(dates=["2019-01-01", "2020-01-01"])
    assert "level" not in tile_request(base, base["dates"])
    assert "level" not in tile_request({**base, "level": "l2a"}, base["dates"])
    assert tile_request({**base, "level": "l1c"}, base["dates"])["level"] == "l1c"
