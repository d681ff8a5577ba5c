"""Regions from ISO country codes, resolved offline from the shipped Natural Earth outlines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from minescan.errors import MinescanInputError
from minescan.grid import ancillary
from minescan.grid.build import GridSpec
from minescan.grid.countries import countries, country_geometry, parse_codes
from minescan.grid.regions import (
    cell_land_fraction,
    cell_purity,
    region_cells,
    region_geometry,
    sampled_land_fraction,
    zone_pieces,
)

SPEC = GridSpec(zooms=(12, 13, 14), cell_size_m={12: 20480, 13: 10240, 14: 5120})


def test_codes_resolve_to_their_countries():
    brazil = country_geometry("BRA")
    assert brazil.contains(shapely.Point(-47.9, -15.8))  # Brasilia
    assert not brazil.contains(shapely.Point(-77.0, -12.0))  # Lima
    both = country_geometry("bra, per")
    assert both.contains(shapely.Point(-77.0, -12.0))
    assert both.equals(country_geometry(["BRA", "PER"]))
    assert parse_codes(" bra,PER ,") == ["BRA", "PER"]


def test_every_code_is_three_letters_and_quirks_are_fixed():
    table = countries()
    assert table["iso_a3"].str.fullmatch(r"[A-Z]{3}").all()
    by_name = dict(zip(table["name"], table["iso_a3"], strict=True))
    assert by_name["France"] == "FRA"
    assert by_name["Norway"] == "NOR"
    assert by_name["Kosovo"] == "XKX"
    assert by_name["Somaliland"] == "SOM"
    assert by_name["N. Cyprus"] == "CYP"
    # Somalia's code covers Somaliland too.
    assert country_geometry("SOM").contains(shapely.Point(44.06, 9.56))  # Hargeisa


def test_unknown_codes_are_named_with_the_way_to_list_valid_ones():
    with pytest.raises(MinescanInputError) as error:
        country_geometry("BRA,XYZ,QQQ")
    message = str(error.value)
    assert "QQQ" in message and "XYZ" in message and "BRA" not in message.split("]")[0]
    assert "python -m minescan.grid.countries" in message
    with pytest.raises(MinescanInputError):
        region_geometry("ZZZ")


def test_region_geometry_accepts_codes_world_and_bounding_boxes():
    assert region_geometry("PER").equals(country_geometry("PER"))
    assert region_geometry(["PER", "BOL"]).equals(country_geometry("PER,BOL"))
    assert region_geometry("World").bounds == (-180.0, -80.0, 180.0, 84.0)
    assert region_geometry([10, 20, 11, 21]).bounds == (10.0, 20.0, 11.0, 21.0)
    with pytest.raises(MinescanInputError, match="bounding box"):
        region_geometry([10, 20, 11])


def test_region_cells_of_a_small_country_are_land_cells_inside_it():
    # Trinidad and Tobago: an island country, so sea cells of its bounding box must go.
    outline = country_geometry("TTO")
    table = region_cells(outline, 14, SPEC)
    assert len(table) > 50
    assert table["cell_id"].is_unique
    centres = np.column_stack([table["centroid_lon"], table["centroid_lat"]])
    near = shapely.dwithin(outline, shapely.points(centres), 0.06)
    assert near.all()
    # Every cell has at least half its sample points on land (the grid's land mask).
    fraction = cell_land_fraction(
        int(table["epsg"].iloc[0]), table["i"].to_numpy(), table["j"].to_numpy(), 5120
    )
    assert (fraction >= 0.5).all()
    # The island's sea: the bounding box holds more cells than the land cells kept.
    box = region_cells(shapely.box(*outline.bounds), 14, SPEC)
    assert len(box) > len(table)
    assert ancillary.is_land(box["centroid_lon"].to_numpy(), box["centroid_lat"].to_numpy()).any()


def test_pure_cells_shortcut_gives_the_sampled_land_fraction():
    # Coast, islands and open sea across two zones: the shortcut must never change a value.
    seen = []
    for piece in zone_pieces(shapely.box(-62.5, 9.5, -59.5, 11.5)):
        i, j = piece.cells(5120)
        exact = sampled_land_fraction(piece.epsg, i, j, 5120)
        np.testing.assert_array_equal(cell_land_fraction(piece.epsg, i, j, 5120), exact)
        purity = cell_purity(piece.epsg, i, j, 5120)
        assert (exact[purity == 1] == 1).all() and (exact[purity == 0] == 0).all()
        seen.extend(np.unique(purity))
    assert set(seen) == {-1, 0, 1}  # land, sea and mixed cells were all met


def test_zone_piece_cells_are_the_cells_meeting_the_piece():
    region = country_geometry("TTO").buffer(0.2)
    for piece in zone_pieces(region):
        i, j = piece.cells(2560)
        x0, y0, x1, y1 = piece.projected.bounds
        ii, jj = np.meshgrid(
            np.arange(np.floor(x0 / 2560), np.floor(x1 / 2560) + 1, dtype=np.int64),
            np.arange(np.floor(y0 / 2560), np.floor(y1 / 2560) + 1, dtype=np.int64),
        )
        every_i, every_j = ii.ravel(), jj.ravel()
        meets = piece.meets(every_i, every_j, 2560)
        np.testing.assert_array_equal(i, every_i[meets])
        np.testing.assert_array_equal(j, every_j[meets])
