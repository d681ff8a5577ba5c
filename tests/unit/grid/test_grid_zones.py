"""A polygon across several UTM zones: each cell takes the zone it lies in, not the zone of the
polygon's centroid, so cells are square on the ground and on their zone's 10 m grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from minescan.grid.build import GridSpec, build_grid, zone_parts
from minescan.polygons.clean import clean_polygons

SPEC = GridSpec.from_config({"zoom_levels": [14, 15, 16], "cell_size_m": 5120, "pixel_size_m": 10})
# One thin polygon from 100.1 to 117.9 E at 1 N: zones 47 (96-102 E) to 50 (114-120 E).
LONG = shapely.box(100.1, 0.995, 117.9, 1.005)


@pytest.fixture(scope="module")
def tables() -> dict[int, gpd.GeoDataFrame]:
    clean, _ = clean_polygons(gpd.GeoDataFrame(geometry=[LONG], crs=4326), "long.gpkg")
    return build_grid(clean, SPEC, None)


def _ground_sides(table: gpd.GeoDataFrame) -> np.ndarray:
    """Geodesic length of the four edges of every cell, in metres."""
    geod = Geod(ellps="WGS84")
    ring = np.array([np.asarray(g.exterior.coords)[:5] for g in table.geometry])
    _, _, length = geod.inv(ring[:, :-1, 0], ring[:, :-1, 1], ring[:, 1:, 0], ring[:, 1:, 1])
    return length


def test_cells_take_the_zone_they_lie_in(tables):
    for table in tables.values():
        assert set(table["epsg"]) == {32647, 32648, 32649, 32650}
        west = table[table["centroid_lon"] < 101.0]
        assert len(west) and set(west["epsg"]) == {32647}
        zone = np.floor((table["centroid_lon"].to_numpy() + 180) / 6).astype(int) + 1
        # A cell at a zone edge may hold its centre just across it, never further.
        assert (np.abs(table["epsg"].to_numpy() - 32600 - zone) <= 1).all()


def test_cells_are_square_on_the_ground_within_half_a_percent(tables):
    for table in tables.values():
        sides = _ground_sides(table)
        error = np.abs(sides / table["cell_size_m"].to_numpy()[:, None] - 1)
        assert error.max() < 0.005, error.max()  # in the centroid's zone 49: 1.8 % at 100 E


def test_cells_nest_across_zoom_levels_in_every_zone(tables):
    for zoom in (15, 16):
        parents = tables[zoom - 1].set_index("cell_id")
        children = tables[zoom][tables[zoom]["parent_id"].isin(parents.index)]
        assert len(children) > 0.9 * len(tables[zoom])
        parent = parents.loc[children["parent_id"]]
        assert (parent["epsg"].to_numpy() == children["epsg"].to_numpy()).all()
        for side in ("xmin", "ymin"):
            assert (parent[side].to_numpy() <= children[side].to_numpy()).all()
        for side in ("xmax", "ymax"):
            assert (parent[side].to_numpy() >= children[side].to_numpy()).all()
    # The whole polygon is covered: its area is the sum of the covered shares.
    area = (tables[16]["overlap_fraction"] * tables[16]["cell_size_m"] ** 2).sum()
    geod_area = abs(Geod(ellps="WGS84").geometry_area_perimeter(LONG)[0])
    assert area == pytest.approx(geod_area, rel=0.01)


def test_polygons_in_one_zone_stay_whole_and_others_are_cut_at_zone_edges_and_equator():
    inside = shapely.box(117.1, -0.3, 117.2, -0.2)
    across = shapely.box(101.5, -0.5, 102.5, 0.5)  # zones 47 and 48, both hemispheres
    parts, codes = zone_parts(np.array([inside, across]))
    assert parts[0].equals(inside) and codes[0] == 32750
    assert sorted(codes[1:].tolist()) == [32647, 32648, 32747, 32748]
    assert sum(p.area for p in parts[1:]) == pytest.approx(across.area)
