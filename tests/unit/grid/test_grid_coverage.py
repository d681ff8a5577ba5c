"""The exact coverage kernel against shapely's exact areas (property-based)."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from minescan.grid.coverage import cell_coverage

SIZE = 1280.0


def _boxes(cov):
    return shapely.box(cov.i * SIZE, cov.j * SIZE, (cov.i + 1) * SIZE, (cov.j + 1) * SIZE)


@st.composite
def polygons(draw):
    """Random valid polygons: buffered points and convex hulls, some with holes, some on lines."""
    n = draw(st.integers(1, 4))
    shapes = []
    for _ in range(n):
        cx = draw(st.floats(400_000, 410_000))
        cy = draw(st.floats(9_900_000, 9_910_000))
        if draw(st.booleans()):
            cx, cy = round(cx / SIZE) * SIZE, round(cy / SIZE) * SIZE  # vertices on grid lines
        r = draw(st.floats(20, 4000))
        if draw(st.booleans()):
            shape = shapely.Point(cx, cy).buffer(r, quad_segs=draw(st.integers(1, 8)))
        else:
            pts = draw(
                st.lists(st.tuples(st.floats(-r, r), st.floats(-r, r)), min_size=3, max_size=12)
            )
            shape = shapely.MultiPoint([(cx + x, cy + y) for x, y in pts]).convex_hull
        if draw(st.booleans()) and shape.area > 0:
            shape = shape.difference(shape.centroid.buffer(r / 4))
        shapes.append(shape)
    union = shapely.union_all(shapes)
    parts = shapely.get_parts(union)
    return parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]


@settings(max_examples=150, deadline=None)
@given(polygons())
def test_cell_areas_match_shapely(parts):
    cov = cell_coverage(parts, SIZE)
    union = shapely.union_all(parts)
    exact = shapely.area(shapely.intersection(union, _boxes(cov)))
    np.testing.assert_allclose(cov.area, exact, atol=1e-3, rtol=1e-9)
    # Every bit of every polygon lies in a returned cell.
    assert abs(cov.area.sum() - union.area) < 1e-3 + 1e-9 * union.area
    # Returned cells with an area all meet the polygons (touching counts); a sliver on a cell
    # edge may also return its neighbour with area 0, which no overlap threshold keeps.
    assert shapely.intersects(union, _boxes(cov)[cov.area > 0]).all()


@settings(max_examples=60, deadline=None)
@given(polygons(), st.integers(1, 3))
def test_coarsening_is_exact_nesting(parts, levels):
    fine = cell_coverage(parts, SIZE).coarsen(levels)
    direct = cell_coverage(parts, SIZE * 2**levels)
    keep = direct.area > 0
    assert set(zip(fine.i[fine.area > 0], fine.j[fine.area > 0], strict=True)) == set(
        zip(direct.i[keep], direct.j[keep], strict=True)
    )
    order_f = np.lexsort((fine.j, fine.i))
    order_d = np.lexsort((direct.j, direct.i))
    np.testing.assert_allclose(
        fine.area[order_f][fine.area[order_f] > 0], direct.area[order_d][keep[order_d]], atol=1e-3
    )


def test_cells_only_touched_by_an_edge_are_returned_with_zero_area():
    square = shapely.box(0, 0, SIZE, SIZE)  # exactly one cell; neighbours share its edges
    cov = cell_coverage(np.array([square]), SIZE)
    cells = dict(zip(zip(cov.i.tolist(), cov.j.tolist(), strict=True), cov.area, strict=True))
    assert cells[(0, 0)] == SIZE**2
    for neighbour in [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, 1)]:
        assert cells[neighbour] == 0.0
