"""Exact area of polygons inside every cell of a square grid, in O(edges + grid crossings).

Why not ``shapely.intersection`` of every (polygon, cell) pair: on the 45,011 Amazon Mining
Watch polygons that takes about 2 s for one UTM zone at one zoom level; this kernel does all
zones and levels in a fraction of that, exactly (checked against shapely in the tests).

How: with the polygon boundary oriented (exteriors counter-clockwise, holes clockwise), the
area of the polygons inside cell (i, j) is ``-sum over boundary pieces of integral F_j(y) dx``
where ``F_j(y) = clamp(y - y_j, 0, s)`` is the part of row j below height y (Green's theorem
applied column strip by column strip; the curve's net dx in a strip is zero, so rows below
the polygons cancel). Every edge is cut at the grid lines it crosses, so each piece lies in
one cell (i, j): there it adds ``-(mean(y) - y_j) * dx`` to its own cell and ``-s * dx`` to
every cell below it in the same column, which a cumulative sum per column collects.
The polygons must not overlap each other (overlaps are dissolved when cleaning), so that
summed areas are areas of the union.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

# Cell keys pack (i, j) into one int64 so that sorting and searching stay in numpy.
_ROW_BITS = 31
_ROW_OFFSET = 1 << (_ROW_BITS - 1)
# Areas below this (m^2) are floating-point noise of the cancelling sums, not overlap.
AREA_EPSILON_M2 = 1e-6


def pack_keys(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return (np.asarray(i, np.int64) << _ROW_BITS) + (np.asarray(j, np.int64) + _ROW_OFFSET)


def unpack_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return keys >> _ROW_BITS, (keys & ((1 << _ROW_BITS) - 1)) - _ROW_OFFSET


@dataclass(frozen=True)
class CellCoverage:
    """Cells of a grid of side ``cell_size`` that touch the polygons, with covered area."""

    cell_size: float
    i: np.ndarray  # column index: x in [i * s, (i + 1) * s)
    j: np.ndarray  # row index: y in [j * s, (j + 1) * s)
    area: np.ndarray  # m^2 of the polygons inside the cell

    @property
    def keys(self) -> np.ndarray:
        return pack_keys(self.i, self.j)

    @property
    def fraction(self) -> np.ndarray:
        return np.clip(self.area / self.cell_size**2, 0.0, 1.0)

    def coarsen(self, levels: int) -> CellCoverage:
        """The same coverage on the grid whose cells are 2**levels times larger (exact)."""
        if levels == 0:
            return self
        keys, inverse = np.unique(
            pack_keys(self.i >> levels, self.j >> levels), return_inverse=True
        )
        area = np.bincount(inverse, weights=self.area, minlength=len(keys))
        i, j = unpack_keys(keys)
        return CellCoverage(self.cell_size * 2**levels, i, j, area)

    def combine(self, other: CellCoverage) -> CellCoverage:
        """Coverage of two disjoint sets of polygons on the same grid."""
        keys, inverse = np.unique(np.concatenate([self.keys, other.keys]), return_inverse=True)
        area = np.bincount(inverse, weights=np.concatenate([self.area, other.area]))
        i, j = unpack_keys(keys)
        return CellCoverage(self.cell_size, i, j, area)


def _edges(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start and end coordinates of every boundary edge, exteriors CCW and holes CW."""
    oriented = shapely.orient_polygons(polygons, exterior_cw=False)
    rings = shapely.get_rings(oriented)
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_index[:-1] == ring_index[1:]
    start, end = coords[:-1][same_ring], coords[1:][same_ring]
    return start[:, 0], start[:, 1], end[:, 0], end[:, 1]


def _grid_crossings(
    a0: np.ndarray, a1: np.ndarray, s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For edges running from a0 to a1 along one axis: which edge, where (t), at which line."""
    k0, k1 = np.floor(a0 / s), np.floor(a1 / s)
    count = np.abs(k1 - k0).astype(np.int64)
    edge = np.repeat(np.arange(len(a0)), count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    direction = np.sign(k1 - k0)[edge]
    # Going up the first line crossed is k0 + 1; going down it is k0 itself.
    line = np.where(direction > 0, k0[edge] + 1 + step, k0[edge] - step)
    position = line * s
    t = (position - a0[edge]) / (a1[edge] - a0[edge])
    return edge, t, position


def _pieces(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut edges at every grid line they cross; return the pieces' end points."""
    ex, tx, px = _grid_crossings(x0, x1, s)
    ey, ty, py = _grid_crossings(y0, y1, s)
    if len(ex) + len(ey) == 0:
        return x0, y0, x1, y1
    n = len(x0)
    # Points of every edge in order: start (t=0), crossings, end (t=1), sorted along t.
    edge = np.concatenate([np.arange(n), ex, ey, np.arange(n)])
    t = np.concatenate([np.zeros(n), tx, ty, np.ones(n)])
    dx, dy = x1 - x0, y1 - y0
    x = np.concatenate([x0, px, x0[ey] + ty * dx[ey], x1])
    y = np.concatenate([y0, y0[ex] + tx * dy[ex], py, y1])
    order = np.lexsort((t, edge))
    edge, x, y = edge[order], x[order], y[order]
    same = edge[:-1] == edge[1:]
    return x[:-1][same], y[:-1][same], x[1:][same], y[1:][same]


def cell_coverage(polygons: np.ndarray, cell_size: float) -> CellCoverage:
    """Area of ``polygons`` (projected, metres, non-overlapping) inside every touched cell.

    Returns every cell whose closed square meets a polygon, including cells the boundary only
    touches (area 0): those are never valid negatives.
    """
    s = float(cell_size)
    polygons = np.asarray(polygons, dtype=object)
    if len(polygons) == 0:
        empty = np.zeros(0, np.int64)
        return CellCoverage(s, empty, empty, np.zeros(0))
    xa, ya, xb, yb = _pieces(*_edges(polygons), s)
    dx = xb - xa
    i = np.floor((xa + xb) / (2 * s)).astype(np.int64)
    j = np.floor((ya + yb) / (2 * s)).astype(np.int64)
    own = -((ya + yb) / 2 - j * s) * dx
    below = -s * dx

    # Candidate cells: every cell of every polygon's bounding box (interior cells have no
    # boundary piece), plus the cells whose closed square holds a piece's end point.
    bounds = shapely.bounds(polygons)
    bi0, bj0 = np.floor(bounds[:, 0] / s), np.floor(bounds[:, 1] / s)
    bi1, bj1 = np.floor(bounds[:, 2] / s), np.floor(bounds[:, 3] / s)
    nx = (bi1 - bi0 + 1).astype(np.int64)
    ny = (bj1 - bj0 + 1).astype(np.int64)
    count = nx * ny
    owner = np.repeat(np.arange(len(polygons)), count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    ci = bi0[owner].astype(np.int64) + step % nx[owner]
    cj = bj0[owner].astype(np.int64) + step // nx[owner]
    touching_keys = [pack_keys(ci, cj), pack_keys(i, j)]
    # A point exactly on a grid line lies in the closed squares on both sides.
    for px, py in ((xa, ya), (xb, yb)):
        on_x = np.floor(px / s) * s == px
        on_y = np.floor(py / s) * s == py
        fi, fj = np.floor(px / s).astype(np.int64), np.floor(py / s).astype(np.int64)
        touching_keys.append(pack_keys(fi[on_x] - 1, fj[on_x]))
        touching_keys.append(pack_keys(fi[on_y], fj[on_y] - 1))
        corner = on_x & on_y
        touching_keys.append(pack_keys(fi[corner] - 1, fj[corner] - 1))
    candidates = np.unique(np.concatenate(touching_keys))

    piece_keys = pack_keys(i, j)
    order = np.argsort(piece_keys, kind="stable")
    piece_keys, own, below = piece_keys[order], own[order], below[order]
    own_sum = np.concatenate([[0.0], np.cumsum(own)])
    below_sum = np.concatenate([[0.0], np.cumsum(below)])

    cand_i, cand_j = unpack_keys(candidates)
    own_lo = np.searchsorted(piece_keys, candidates, "left")
    own_hi = np.searchsorted(piece_keys, candidates, "right")
    # Pieces above the cell in the same column: rows j + 1 ... to the top of column i.
    above_lo = np.searchsorted(piece_keys, pack_keys(cand_i, cand_j + 1), "left")
    column_end = np.searchsorted(piece_keys, pack_keys(cand_i + 1, -_ROW_OFFSET), "left")
    area = (own_sum[own_hi] - own_sum[own_lo]) + (below_sum[column_end] - below_sum[above_lo])

    boundary = own_hi > own_lo
    touched = np.isin(candidates, np.concatenate(touching_keys[1:]))
    keep = touched | boundary | (area > AREA_EPSILON_M2)
    area = np.where(area > AREA_EPSILON_M2, area, 0.0)
    return CellCoverage(s, cand_i[keep], cand_j[keep], area[keep])
