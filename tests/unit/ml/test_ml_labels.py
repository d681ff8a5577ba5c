"""Boxes from the mine band: connected regions, minimum size, YOLO lines, polygons kept."""

from __future__ import annotations

import numpy as np
import pytest

from minescan.errors import MinescanInputError
from minescan.ml.labels import mine_regions, read_yolo_boxes, yolo_boxes, yolo_polygons


def mask_with_two_mines_and_a_speck() -> np.ndarray:
    mine = np.zeros((64, 64), dtype=np.uint8)
    mine[10:20, 5:25] = 1  # 200 px
    mine[40:60, 40:50] = 1  # 200 px
    mine[50:52, 60:61] = 1  # 2 px speck
    mine[20, 25] = 1  # touches the first one diagonally: same region (8-connected)
    return mine


def test_one_box_per_connected_region_above_the_minimum_size():
    regions = mine_regions(mask_with_two_mines_and_a_speck(), min_pixels=5)
    assert [r.box for r in regions] == [(5.0, 10.0, 26.0, 21.0), (40.0, 40.0, 50.0, 60.0)]
    assert regions[0].pixels == 201
    assert regions[0].outline.area == pytest.approx(201)


def test_yolo_lines_are_relative_to_the_image(tmp_path):
    regions = mine_regions(mask_with_two_mines_and_a_speck(), min_pixels=5)
    text = yolo_boxes(regions, 64, 64, "tile")
    first = [float(v) for v in text.splitlines()[0].split()]
    assert first == pytest.approx([0, 15.5 / 64, 15.5 / 64, 21 / 64, 11 / 64], abs=1e-6)
    (tmp_path / "labels.txt").write_text(text)
    np.testing.assert_allclose(
        read_yolo_boxes(tmp_path / "labels.txt", 64, 64), [r.box for r in regions], atol=1e-3
    )
    polygon = yolo_polygons(regions, 64, 64).splitlines()[1].split()
    assert polygon[0] == "0" and len(polygon) == 1 + 2 * 4  # the second region is a rectangle


def test_no_mine_gives_an_empty_label_file():
    assert mine_regions(np.zeros((8, 8), dtype=np.uint8)) == []
    assert yolo_boxes([], 8, 8, "tile") == ""


def test_a_box_outside_its_image_is_a_clear_error(tmp_path):
    label = tmp_path / "tile.txt"
    label.write_text("0 0.5 0.5 0.2 0.2\n0 0.95 0.5 0.2 0.2\n")
    with pytest.raises(MinescanInputError, match=r"tile.txt, line 2: label box .* outside"):
        read_yolo_boxes(label, 100, 100)
