"""The grid's size guard: a country outline given as the mining polygons stops before any job,
naming the key and pointing to pyramid.region; real mining polygons pass, and the estimate
is never below the cells the grid really has."""

from __future__ import annotations

import geopandas as gpd
import pytest

from minescan.errors import MinescanInputError
from minescan.grid.budget import check_grid_size, estimate_cells
from minescan.grid.build import zone_coverages
from minescan.grid.countries import country_geometry
from minescan.polygons.clean import clean_polygons
from minescan.polygons.read import read_polygons

GRID = {"zoom_levels": [15, 16], "cell_size_m": 2560}  # the demo's grid


def test_a_country_outline_as_polygons_is_refused_pointing_to_the_region(tmp_path):
    path = tmp_path / "brazil.gpkg"
    outline = gpd.GeoDataFrame(geometry=[country_geometry("BRA")], crs=4326)
    outline.to_file(path)
    clean, _ = clean_polygons(read_polygons(path), path)
    with pytest.raises(MinescanInputError) as error:
        check_grid_size(clean, GRID, str(path))
    message = str(error.value)
    assert message.startswith(f"{path}: the grid would have about 5,3")
    assert "at zoom 16 (1280 m), over grid.max_cells 1,000,000" in message
    assert "region outline" in message and "pyramid.region" in message
    # At z15 the estimate is the 1.33 million cells such a grid really started.
    assert estimate_cells(clean, 2560) == pytest.approx(1.33e6, rel=0.01)


def test_a_raised_budget_lets_the_same_polygons_pass(tmp_path):
    path = tmp_path / "brazil.gpkg"
    gpd.GeoDataFrame(geometry=[country_geometry("BRA")], crs=4326).to_file(path)
    clean, _ = clean_polygons(read_polygons(path), path)
    assert check_grid_size(clean, {**GRID, "max_cells": 6_000_000}, str(path)) > 5_000_000


def test_real_mining_polygons_pass_and_are_never_underestimated(shared_data):
    path = shared_data / "polygons" / "maus_v1_idn.gpkg"
    clean, _ = clean_polygons(read_polygons(path), path)
    estimate = check_grid_size(clean, GRID, str(path))
    actual = sum(len(zone.own.i) for zone in zone_coverages(clean, 1280, reach_m=0))
    assert actual <= estimate <= 2 * actual  # 6,382 estimated, 5,244 cells at z16
