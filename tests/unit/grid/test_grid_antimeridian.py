"""Scan regions across the antimeridian: a box with west beyond east is split at 180 degrees
and scanned on both sides, each side in its own UTM zones."""

from __future__ import annotations

import pytest
import shapely

from minescan.errors import MinescanInputError
from minescan.grid.regions import region_geometry, region_land_cells

CHUKOTKA = [172, 64, -172, 68]  # land on both sides of 180 degrees


def test_a_box_across_the_antimeridian_is_two_boxes():
    region = region_geometry(CHUKOTKA)
    assert region.equals(
        shapely.union(shapely.box(172, 64, 180, 68), shapely.box(-180, 64, -172, 68))
    )


def test_its_land_cells_are_those_of_both_sides_in_their_own_zones():
    cells = region_land_cells(region_geometry(CHUKOTKA), 10240)
    west = region_land_cells(shapely.box(172, 64, 180, 68), 10240)
    east = region_land_cells(shapely.box(-180, 64, -172, 68), 10240)
    assert len(cells) == len(west) + len(east) > 2000
    assert set(cells["epsg"]) == {32659, 32660, 32601, 32602}


@pytest.mark.parametrize("box", [[111, -1, 110, 0], [170, 10, 170, 11], [-190, 0, 10, 1]])
def test_a_box_wider_than_half_the_world_or_empty_is_still_refused(box):
    with pytest.raises(MinescanInputError, match="is not a bounding box"):
        region_geometry(box)
