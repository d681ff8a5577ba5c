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

from minescan.grid.utm import zone_label


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
    # Quadrant path as an integer (two bits a level) plus its depth, so grouping stays numeric.
    path = np.zeros(len(i), np.int64)
    depth = np.zeros(len(i), np.int64)
    level = 0
    while True:
        group = np.column_stack([epsg, bx, by, depth, path])
        _, inverse, counts = np.unique(group, axis=0, return_inverse=True, return_counts=True)
        too_big = counts[inverse.ravel()] > max_cells
        if not too_big.any() or 2**level >= per_block:
            break
        level += 1
        qx = (li[too_big] * 2**level // per_block) & 1
        qy = (lj[too_big] * 2**level // per_block) & 1
        path[too_big] = path[too_big] * 4 + qx + 2 * qy
        depth[too_big] = level
    group = np.column_stack([epsg, bx, by, depth, path])
    unique, inverse = np.unique(group, axis=0, return_inverse=True)
    names = np.array([_shard_name(*row) for row in unique.tolist()], dtype=object)
    return names[inverse.ravel()]


def _shard_name(epsg: int, bx: int, by: int, depth: int, path: int) -> str:
    name = f"{zone_label(epsg)}_{bx}_{by}"
    if depth:
        digits = "".join(str((path >> (2 * (depth - 1 - d))) & 3) for d in range(depth))
        name += f"_q{digits}"
    return name
