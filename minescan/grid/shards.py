"""Shards: stable groups of cells of bounded size, one imagery job each.

Why: a global run has about 10^5 cells per zoom level; one Snakemake job per cell would drown
the scheduler (and SLURM) in tiny jobs. Cells are grouped by the root block of side
``shard_block_m`` they fall in, inside their UTM zone; a block holding more than
``max_cells`` cells is split into quadrants, recursively, until every part fits. The id
(``50S_1_30`` or, for a split block, ``50S_1_30_q03``: quadrant path, 0=SW 1=SE 2=NW 3=NE)
depends only on the cell's position and the cells of its own block, so adding polygons
elsewhere in the world never renames a shard, and neighbouring cells share imagery reads.
For MAUS (about 45,000 polygons) the default 327.68 km blocks give a few hundred shards.
"""

from __future__ import annotations

import numpy as np

from minescan.utm import zone_label


def assign_shards(
    epsg: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    cell_size: int,
    block_m: int,
    max_cells: int,
) -> np.ndarray:
    """Shard id of every cell."""
    per_block = block_m // cell_size
    bx, by = np.floor_divide(i, per_block), np.floor_divide(j, per_block)
    li, lj = i - bx * per_block, j - by * per_block
    zones, zone = np.unique(np.asarray(epsg), return_inverse=True)
    # One int64 per group: zone, block, depth and quadrant path (two bits a level), so that
    # grouping is a 1-D integer unique instead of string or row-wise work.
    root = (zone.astype(np.int64) << 55) | ((bx + _HALF_X) << 41) | ((by + _HALF_Y) << 26)
    path = np.zeros(len(i), np.int64)
    depth = np.zeros(len(i), np.int64)
    for level in range(1, _MAX_DEPTH + 1):
        _, inverse, counts = np.unique(
            root | (depth << 22) | path, return_inverse=True, return_counts=True
        )
        too_big = counts[inverse] > max_cells
        if not too_big.any() or 2 ** (level - 1) >= per_block:
            break
        qx = (li[too_big] * 2**level // per_block) & 1
        qy = (lj[too_big] * 2**level // per_block) & 1
        path[too_big] = path[too_big] * 4 + qx + 2 * qy
        depth[too_big] = level
    unique, first, inverse = np.unique(
        root | (depth << 22) | path, return_index=True, return_inverse=True
    )
    names = np.array(
        [
            _shard_name(int(zones[zone[k]]), int(bx[k]), int(by[k]), int(depth[k]), int(path[k]))
            for k in first
        ],
        dtype=object,
    )
    return names[inverse]


_HALF_X, _HALF_Y = 1 << 13, 1 << 14  # block indices may be negative in theory
_MAX_DEPTH = 11  # path bits 0..21


def _shard_name(epsg: int, bx: int, by: int, depth: int, path: int) -> str:
    name = f"{zone_label(epsg)}_{bx}_{by}"
    if depth:
        digits = "".join(str((path >> (2 * (depth - 1 - d))) & 3) for d in range(depth))
        name += f"_q{digits}"
    return name
