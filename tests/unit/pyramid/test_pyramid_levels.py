"""Pyramid levels: the grid's chain of cell sides, pixel sizes, screens, and bad levels."""

import pytest

from minescan.errors import MinescanInputError
from minescan.pyramid.levels import pyramid_levels

GRID = {"zoom_levels": [14, 15, 16], "cell_size_m": 5120, "pixel_size_m": 10}


def test_default_levels_double_the_pixel_and_keep_the_pixel_count():
    levels = pyramid_levels(GRID, {"levels": [12, 13, 14, 15, 16]})
    assert [lv.cell_size_m for lv in levels] == [20480, 10240, 5120, 2560, 1280]
    assert [lv.pixel_size_m for lv in levels] == [160, 80, 40, 20, 10]
    assert {lv.side_px for lv in levels} == {128}
    assert all(lv.screen == "pixel" for lv in levels)


def test_pixel_sizes_can_be_set_per_level():
    levels = pyramid_levels(GRID, {"levels": [14, 15, 16], "pixel_size_m": [20, 20, 10]})
    assert [lv.side_px for lv in levels] == [256, 128, 128]


@pytest.mark.parametrize(
    ("pyramid", "message"),
    [
        ({"levels": [13, 15, 16]}, "consecutive"),
        ({"levels": [16]}, "consecutive"),
        ({"levels": [15, 16], "pixel_size_m": [20]}, "one pixel size per level"),
        ({"levels": [15, 16], "pixel_size_m": [30, 10]}, "does not nest with the grid"),
        ({"levels": [23, 24]}, "does not nest with the grid"),  # 10 m and 5 m cells
        ({"levels": [15, 16], "screen": "cnn"}, "does not train"),
        ({"levels": [15, 16], "screen": {15: "pixel", 16: "yolo"}}, "level 16"),
    ],
)
def test_bad_levels_name_the_key(pyramid, message):
    with pytest.raises(MinescanInputError, match=message) as error:
        pyramid_levels(GRID, pyramid)
    assert "pyramid." in str(error.value)
