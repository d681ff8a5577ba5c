"""The seed's negatives: for each positive cell, the nearest cell that touches no polygon, is on
land and is not already taken.

All positives of all UTM zones search at once, vectorised: each walks through the same list of
cell offsets sorted by distance, a chunk of offsets per round. When two positives want the same
cell in a round, the one with the nearer offset (then the earlier cell id) gets it and the other
keeps searching, so every positive ends with the nearest cell still free when it was served.
Land is checked on a 3x3 sample of points per cell against the Koeppen-Geiger land mask, with
lon/lat from each positive's local Jacobian of the UTM projection (metres of error over the
search radius, against a 3 km mask), so that no projection call sits inside the loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from minescan.grid import ancillary
from minescan.utm import to_lonlat

log = logging.getLogger(__name__)

# Land is judged on a 3x3 grid of points per cell, in cell sides from its centre.
LAND_SAMPLES = np.array([-1 / 3, 0.0, 1 / 3])


@dataclass(frozen=True)
class NegativeSearch:
    max_distance_m: float
    min_land_fraction: float


def sorted_offsets(radius: int) -> np.ndarray:
    """All (di, dj) within ``radius`` cells, nearest first, ties in a fixed angular order."""
    span = np.arange(-radius, radius + 1)
    di, dj = (a.ravel() for a in np.meshgrid(span, span, indexing="ij"))
    d2 = di**2 + dj**2
    keep = (d2 > 0) & (d2 <= radius**2)
    di, dj, d2 = di[keep], dj[keep], d2[keep]
    order = np.lexsort((di, dj, d2))
    return np.column_stack([di[order], dj[order]])


def _local_jacobians(
    epsg: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lon/lat of each point and d(lon, lat)/d(x, y) per metre, per UTM zone."""
    lonlat = np.zeros((len(x), 2))
    jac = np.zeros((len(x), 2, 2))
    for code in np.unique(epsg):
        sel = epsg == code
        px, py = x[sel], y[sel]
        lon, lat = to_lonlat(
            np.concatenate([px, px + 1, px]), np.concatenate([py, py, py + 1]), code
        )
        n = len(px)
        lonlat[sel] = np.column_stack([lon[:n], lat[:n]])
        jac[sel, :, 0] = np.column_stack([lon[n : 2 * n] - lon[:n], lat[n : 2 * n] - lat[:n]])
        jac[sel, :, 1] = np.column_stack([lon[2 * n :] - lon[:n], lat[2 * n :] - lat[:n]])
    return lonlat, jac


def _land_fraction(
    lonlat: np.ndarray, jac: np.ndarray, shift_m: np.ndarray, cell_size: np.ndarray
) -> np.ndarray:
    """Share of 3x3 sample points on land, for cells ``shift_m`` metres from each origin."""
    su, sv = (a.ravel() for a in np.meshgrid(LAND_SAMPLES, LAND_SAMPLES))  # 9 points, in cell sides
    mx = shift_m[:, :1] + su[None] * cell_size[:, None]
    my = shift_m[:, 1:] + sv[None] * cell_size[:, None]
    lon = lonlat[:, :1] + jac[:, 0, :1] * mx + jac[:, 0, 1:] * my
    lat = lonlat[:, 1:] + jac[:, 1, :1] * mx + jac[:, 1, 1:] * my
    return ancillary.is_land(lon.ravel(), lat.ravel()).reshape(len(lonlat), -1).mean(axis=1)


_UNKNOWN, _LAND, _WATER = 0, 1, 2


class _ZoneRasters:
    """Dense per-zone arrays over the search area: blocked, taken and land state per cell.

    Lookups in a flat array are an order of magnitude faster than searching sorted keys, and
    the area is small: the positives' bounding box plus the search radius, per zone.
    """

    def __init__(self, zone, i, j, blocked_zone, blocked_i, blocked_j, radius: int) -> None:
        codes = np.unique(zone)
        self.i0 = np.zeros(codes.max() + 1, np.int64)
        self.j0 = np.zeros_like(self.i0)
        self.height = np.zeros_like(self.i0)
        self.width = np.zeros_like(self.i0)
        self.base = np.zeros_like(self.i0)
        size = 0
        for code in codes:
            sel = zone == code
            self.i0[code], self.j0[code] = i[sel].min() - radius, j[sel].min() - radius
            self.width[code] = i[sel].max() + radius + 1 - self.i0[code]
            self.height[code] = j[sel].max() + radius + 1 - self.j0[code]
            self.base[code] = size
            size += int(self.width[code] * self.height[code])
        self.blocked = np.zeros(size, bool)
        self.taken = np.zeros(size, bool)
        self.land = np.zeros(size, np.int8)
        inside = np.isin(blocked_zone, codes)
        bz, bi, bj = blocked_zone[inside], blocked_i[inside], blocked_j[inside]
        within = (
            (bi >= self.i0[bz])
            & (bj >= self.j0[bz])
            & (bi < self.i0[bz] + self.width[bz])
            & (bj < self.j0[bz] + self.height[bz])
        )
        self.blocked[self.index(bz[within], bi[within], bj[within])] = True

    def index(self, zone: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return self.base[zone] + (i - self.i0[zone]) * self.height[zone] + (j - self.j0[zone])


def choose_negatives(
    zone: np.ndarray,
    epsg: np.ndarray,
    positive_i: np.ndarray,
    positive_j: np.ndarray,
    blocked_zone: np.ndarray,
    blocked_i: np.ndarray,
    blocked_j: np.ndarray,
    cell_size: float,
    search: NegativeSearch,
) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, found)``: the (di, dj) from each positive to its negative, and whether it
    has one (positives without a free land cell in reach get (0, 0) and False).

    Positives are given by zone code (small int), EPSG and grid indices, in serving order;
    ``blocked_*`` are every cell touched by a polygon, in any zone code.
    """
    n = len(positive_i)
    chosen = np.full(n, -1, np.int64)
    if n == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, bool)
    radius = max(1, int(search.max_distance_m // cell_size))
    offsets = sorted_offsets(radius)
    state = _ZoneRasters(zone, positive_i, positive_j, blocked_zone, blocked_i, blocked_j, radius)
    centre_x, centre_y = (positive_i + 0.5) * cell_size, (positive_j + 0.5) * cell_size
    lonlat, jac = _local_jacobians(epsg, centre_x, centre_y)
    pointer = np.zeros(n, np.int64)
    active = np.arange(n)
    chunk = 8
    rounds = 0
    while len(active):
        rounds += 1
        ranks = pointer[active, None] + np.arange(chunk)[None, :]
        in_range = ranks < len(offsets)
        ranks = np.minimum(ranks, len(offsets) - 1)
        cells = state.index(
            zone[active, None],
            positive_i[active, None] + offsets[ranks, 0],
            positive_j[active, None] + offsets[ranks, 1],
        )
        free = in_range & ~state.blocked[cells] & ~state.taken[cells]
        free &= state.land[cells] != _WATER
        # Land is checked lazily: only each row's first free cell, until one is on land.
        unchecked = np.arange(len(active))
        while len(unchecked):
            first = np.argmax(free[unchecked], axis=1)
            ok = free[unchecked, first]
            rows, cols = unchecked[ok], first[ok]
            unknown = state.land[cells[rows, cols]] == _UNKNOWN
            rows, cols = rows[unknown], cols[unknown]
            if not len(rows):
                break
            shift = offsets[ranks[rows, cols]] * cell_size
            land = _land_fraction(
                lonlat[active[rows]], jac[active[rows]], shift, np.full(len(rows), cell_size)
            )
            wet = land < search.min_land_fraction
            state.land[cells[rows, cols]] = np.where(wet, _WATER, _LAND)
            free[rows[wet], cols[wet]] = False
            unchecked = rows[wet]
        has = free.any(axis=1)
        first = np.argmax(free, axis=1)
        # Proposals, nearest offset first, then positive order; a cell goes to one positive.
        proposers = np.flatnonzero(has)
        prop_rank = ranks[proposers, first[proposers]]
        prop_cell = cells[proposers, first[proposers]]
        order = np.lexsort((active[proposers], prop_rank))
        _, winner_pos = np.unique(prop_cell[order], return_index=True)
        winners = proposers[order[winner_pos]]
        chosen[active[winners]] = ranks[winners, first[winners]]
        state.taken[cells[winners, first[winners]]] = True
        losers = np.setdiff1d(proposers, winners)
        pointer[active[losers]] = ranks[losers, first[losers]] + 1
        exhausted = np.flatnonzero(~has)
        pointer[active[exhausted]] += chunk
        resolved = np.zeros(len(active), bool)
        resolved[winners] = True
        resolved |= pointer[active] >= len(offsets)
        active = active[~resolved]
        chunk = min(chunk * 2, 256)
    missing = int((chosen < 0).sum())
    if missing:
        log.warning(
            "%d of %d positives (%g m cells) have no free land cell within %g m",
            missing,
            n,
            cell_size,
            search.max_distance_m,
        )
    log.debug("negatives: %d positives served in %d rounds", n, rounds)
    found = chosen >= 0
    return np.where(found[:, None], offsets[np.maximum(chosen, 0)], 0), found
