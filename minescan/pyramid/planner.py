"""The pyramid planner: what an exhaustive scan and a coarse-to-fine pyramid scan of a region
cost, level by level, and what the pyramid is expected to miss, from the region and the mining
polygons alone (no imagery, no model).

Scans
    *exhaustive*: every land cell of the region at one level, at that level's pixel size. The
    exhaustive scan proper is the finest level (10 m pixels by default); the coarser exhaustive
    rows say what a one-level scan at that zoom would cost, and the ``total`` row of the
    exhaustive scan is its finest row.
    *pyramid*: level 1 is every land cell of the region at the coarsest zoom; each level's
    screen keeps some cells, and the four children of each kept cell that are land cells meeting
    the region form the next level (children are clipped to land and to the region).

Expected-value model of the pyramid (per level k, screens independent across cells and levels)
    A *mine cell* is a cell whose closed square holds mining polygon area (> 0 m^2); the parent
    of a mine cell is a mine cell. With per-level recall r_k and false-positive rate f_k:

    - a reachable mine cell of level k (a land cell meeting the region whose ancestors all are)
      is scored with probability P_k = r_1 ... r_(k-1): mine cells scored R_k = P_k M_k;
    - kept at level k = r_k R_k + f_k (S_k - R_k), where S_k is the cells scored;
    - S_(k+1) = P_(k+1) C_k + f_k (S_k - R_k) rho_k: C_k counts the reachable children of the
      reachable mine cells (exact), rho_k the mean number of reachable children of a reachable
      cell that is not a mine cell (from the counts; assumed the same for the false positives);
    - expected area recall: mining area in the cells scored at level k, P_k times the area in
      reachable mine cells, over the mining area in every cell of level k meeting the region
      (land or not), and times r_k once the level's screen has run. Area lost because the grid's
      land mask drops a cell (rivers, coasts) is therefore counted as missed, for both scans.

What is exact and what is estimated
    - Level 1 (both scans): exact, the cells and shards of ``region_land_cells`` and
      ``assign_shards``.
    - Mine cells, their children and their areas, every level: exact (the polygons' coverage
      kernel on the finest grid, summed up the levels; the grid's nine-point land test).
    - Land cells of finer levels: exact for coarse cells wholly on land (or at sea) and inside
      the region; the other ("mixed": coasts, lakes, the region's edge, zone edges) coarse cells
      are all walked down to the finest level when there are at most ``sample_cells`` of them,
      else a simple random sample of them is, and their totals are scaled up (the standard
      error is given).
    - Shards of finer levels: estimated; each root block is split into quadrants as
      ``assign_shards`` does while it holds more than ``max_cells_per_shard`` expected cells,
      cells spread evenly inside a coarse cell, and a part with n expected cells is a shard with
      probability 1 - exp(-n) (Poisson).

Jobs
    A job is one Snakemake job of one shard: ``JOBS_PER_SHARD`` = 2 per shard and level (fetch
    the shard's tiles; score them with the level's screen, or detect at the finest level). The
    per-level checkpoint that picks the children is not counted.

Bytes
    Tile pixels x (bands + 1 mine band) x 2 bytes (uint16, as the tiles are written), before
    compression.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from minescan.errors import MinescanInputError
from minescan.grid.build import zone_coverages
from minescan.grid.coverage import pack_keys
from minescan.grid.regions import (
    ZonePiece,
    cell_land_fraction,
    cell_purity,
    descendant_land_fraction,
    region_geometry,
    sampled_land_fraction,
    zone_pieces,
)
from minescan.grid.shards import assign_shards
from minescan.polygons.clean import clean_polygons
from minescan.polygons.read import read_polygons

log = logging.getLogger(__name__)

EXHAUSTIVE, PYRAMID = "exhaustive", "pyramid"
JOBS_PER_SHARD = 2  # tiles + screen (or detection) of one shard at one level
BYTES_PER_VALUE = 2  # uint16 bands and mine band
SOURCE = "planner"

Quality = float | Sequence[float] | Mapping[int, float]


@dataclass
class Survey:
    """What the planner learns from the region and the polygons, before any screen quality.

    Per level index (0 = coarsest): ``land`` (exhaustive land cells), ``reachable`` (cells the
    pyramid can reach: land cells meeting the region whose ancestors all are), their standard
    errors, mine-cell counts and areas; per coarse cell: expected counts for the shard estimates.
    """

    zooms: tuple[int, ...]
    cell_size_m: dict[int, int]
    max_cells_per_shard: int
    shard_block_m: int
    land: np.ndarray
    land_se: np.ndarray
    reachable: np.ndarray
    reachable_se: np.ndarray
    level1_shards: int
    mine_land: np.ndarray  # mine cells that are land cells meeting the region
    mine_reachable: np.ndarray  # M_k
    mine_children: np.ndarray  # C_k (last level: 0)
    area_total_m2: np.ndarray  # mining area in every cell meeting the region
    area_land_m2: np.ndarray
    area_reachable_m2: np.ndarray
    coarse: pd.DataFrame  # epsg, i, j of the coarse cells with land below them
    coarse_land: np.ndarray  # (cells, levels): expected land cells under each coarse cell
    coarse_mine_reachable: np.ndarray
    coarse_mine_children: np.ndarray
    mixed_cells: int
    mixed_walked: int
    info: dict[str, Any] = field(default_factory=dict)
    shard_parts: list[np.ndarray] | None = None  # filled on first use


def _per_level(value: Quality, zooms: Sequence[int], name: str) -> np.ndarray:
    """A screen quality per level from a scalar, a list (coarsest first) or ``{zoom: value}``."""
    if isinstance(value, Mapping):
        missing = [z for z in zooms if z not in value and str(z) not in value]
        if missing:
            raise MinescanInputError(SOURCE, f"{name} has no value for zoom(s) {missing}")
        values = [float(value[z] if z in value else value[str(z)]) for z in zooms]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        values = [float(v) for v in value]
        if len(values) == 1:
            values = values * len(zooms)
        if len(values) != len(zooms):
            raise MinescanInputError(
                SOURCE,
                f"{name} gives {len(values)} values for {len(zooms)} levels {list(zooms)}",
                "give one value, or one per level, coarsest first",
            )
    else:
        values = [float(value)] * len(zooms)
    array = np.array(values)
    if not ((array >= 0) & (array <= 1)).all():
        raise MinescanInputError(SOURCE, f"{name} {values} must lie in [0, 1]")
    return array


def check_levels(
    zooms: Sequence[int], cell_sizes: Mapping[int, int], pixel_sizes: Mapping[int, int]
) -> tuple[int, ...]:
    """The levels as a tuple, after checking that they nest and their pixels divide them."""
    zooms = tuple(int(z) for z in zooms)
    if not zooms or list(zooms) != list(range(zooms[0], zooms[0] + len(zooms))):
        raise MinescanInputError(
            SOURCE,
            f"levels {list(zooms)} are not consecutive and increasing",
            "list consecutive zoom levels, coarsest first, e.g. 12 13 14 15 16",
        )
    for zoom in zooms:
        if zoom not in cell_sizes or zoom not in pixel_sizes:
            raise MinescanInputError(SOURCE, f"zoom {zoom} has no cell size or pixel size")
        if cell_sizes[zoom] % pixel_sizes[zoom]:
            raise MinescanInputError(
                SOURCE,
                f"pixel size {pixel_sizes[zoom]} m does not divide the {cell_sizes[zoom]} m cells "
                f"of zoom {zoom}",
            )
    for coarse, fine in zip(zooms, zooms[1:], strict=False):
        if cell_sizes[coarse] != 2 * cell_sizes[fine]:
            raise MinescanInputError(
                SOURCE,
                f"cells of zoom {fine} ({cell_sizes[fine]} m) are not half those of zoom "
                f"{coarse} ({cell_sizes[coarse]} m): the levels do not nest",
                "halve the cell side at every level",
            )
    return zooms


def load_polygons(paths: Sequence[str | Path]) -> gpd.GeoDataFrame:
    """Polygon files (any OGR format or GeoParquet) read together and cleaned as one set, so
    that polygons overlapping across files (yearly layers) count their area once."""
    frames = [read_polygons(path)[["geometry"]].to_crs(4326) for path in paths]
    raw = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    source = str(paths[0]) if len(paths) == 1 else f"{len(paths)} polygon files"
    clean, report = clean_polygons(raw, source, schema="generic")
    log.info("polygons: %d read, %d after cleaning", report.rows_read, report.polygons_written)
    return clean


def polygons_hull(polygons: gpd.GeoDataFrame) -> shapely.Geometry:
    """The convex hull of the polygons (lon/lat): a region outlining them."""
    return shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(polygons.geometry)))


# ---------------------------------------------------------------------------------------------
# Survey: land cells, reachable cells and mine cells per level


def _descendants(i: np.ndarray, j: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """``(cells, 4**depth)`` indices of every descendant ``depth`` levels down, per cell."""
    span = np.arange(2**depth, dtype=np.int64)
    di, dj = (a.ravel() for a in np.meshgrid(span, span))
    return (i[:, None] << depth) + di[None], (j[:, None] << depth) + dj[None]


def _walk_mixed(
    piece: ZonePiece,
    i: np.ndarray,
    j: np.ndarray,
    level1_land: np.ndarray,
    covered: np.ndarray,
    pure_land: np.ndarray,
    sizes: Sequence[int],
    min_land_fraction: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Land and reachable descendants per level (``(cells, levels)``) of coarse cells, exactly.

    Descendants inherit what is settled above them: a cell the region covers has only
    descendants meeting it, one wholly on land only land descendants; the rest is tested.
    """
    n, levels = len(i), len(sizes)
    land = np.zeros((n, levels))
    reach = np.zeros((n, levels))
    land[:, 0] = level1_land
    reach[:, 0] = level1_land
    meets_above = np.ones((n, 1), bool)
    covered_above = covered[:, None]
    reach_above = level1_land[:, None].astype(bool)
    for depth in range(1, levels):
        side = 2**depth
        local = np.arange(side * side)
        a, b = local % side, local // side
        up = (b >> 1) * (side >> 1) + (a >> 1)  # column of each descendant's parent above
        meets, cov = meets_above[:, up], covered_above[:, up]
        rows, cols = np.nonzero(meets & ~cov)
        if len(rows):
            meets[rows, cols], cov[rows, cols] = piece.meets_covers(
                (i[rows] << depth) + a[cols], (j[rows] << depth) + b[cols], sizes[depth]
            )
        fraction = np.ones((n, side * side))
        if (~pure_land).any():
            fraction[~pure_land] = descendant_land_fraction(
                piece.epsg, i[~pure_land], j[~pure_land], depth, sizes[depth]
            )
        is_land = (fraction >= min_land_fraction) & meets
        reached = is_land & reach_above[:, up]
        land[:, depth] = is_land.sum(axis=1)
        reach[:, depth] = reached.sum(axis=1)
        meets_above, covered_above, reach_above = meets, cov, reached
    return land, reach


def _mine_levels(
    polygons: gpd.GeoDataFrame | None,
    pieces: dict[int, ZonePiece],
    sizes: Sequence[int],
    min_land_fraction: float,
) -> list[pd.DataFrame]:
    """Mine cells per level and zone: ``epsg, i, j, area, land, reach`` plus reachable children.

    Exact: coverage on the finest grid summed up the levels, land and region tests per cell.
    """
    levels = len(sizes)
    empty = pd.DataFrame(
        {
            "epsg": pd.Series(dtype=np.int64),
            "i": pd.Series(dtype=np.int64),
            "j": pd.Series(dtype=np.int64),
            "area": pd.Series(dtype=float),
            "meets": pd.Series(dtype=bool),
            "land": pd.Series(dtype=bool),
            "reach": pd.Series(dtype=bool),
            "children": pd.Series(dtype=np.int64),
        }
    )
    if polygons is None or len(polygons) == 0:
        return [empty.copy() for _ in range(levels)]
    per_level: list[list[pd.DataFrame]] = [[] for _ in range(levels)]
    for zone in zone_coverages(polygons, sizes[-1], reach_m=2 * sizes[0]):
        piece = pieces.get(zone.epsg)
        if piece is None:
            continue
        total = zone.own.combine(zone.neighbours) if len(zone.neighbours.i) else zone.own
        reach_keys = None
        frames = []
        for level in range(levels):
            cov = total.coarsen(levels - 1 - level)
            mine = cov.area > 0
            i, j, area = cov.i[mine], cov.j[mine], cov.area[mine]
            meets = piece.meets(i, j, sizes[level])
            land = meets & (cell_land_fraction(zone.epsg, i, j, sizes[level]) >= min_land_fraction)
            if reach_keys is None:
                reach = land
            else:
                reach = land & np.isin(pack_keys(i >> 1, j >> 1), reach_keys)
            reach_keys = pack_keys(i[reach], j[reach])
            frames.append(
                pd.DataFrame(
                    {
                        "epsg": zone.epsg,
                        "i": i,
                        "j": j,
                        "area": area,
                        "meets": meets,
                        "land": land,
                        "reach": reach,
                        "children": 0,
                    }
                )
            )
        # Reachable children of reachable mine cells: land cells meeting the region.
        for level in range(levels - 1):
            frame = frames[level]
            parents = frame.index[frame["reach"].to_numpy()]
            if len(parents) == 0:
                continue
            ci, cj = _descendants(
                frame.loc[parents, "i"].to_numpy(), frame.loc[parents, "j"].to_numpy(), 1
            )
            size = sizes[level + 1]
            ok = piece.meets(ci.ravel(), cj.ravel(), size) & (
                cell_land_fraction(zone.epsg, ci.ravel(), cj.ravel(), size) >= min_land_fraction
            )
            frame.loc[parents, "children"] = ok.reshape(-1, 4).sum(axis=1)
        for level in range(levels):
            per_level[level].append(frames[level])
    return [pd.concat(frames, ignore_index=True) if frames else empty for frames in per_level]


def _coarse_cells(
    pieces: dict[int, ZonePiece], size: int, min_land_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The coarse cells with land cells below them, and the land cells of level 1.

    Per coarse cell: ``land1`` (a land cell of level 1), ``pure_land`` (wholly on land: so is
    every descendant), ``covered`` (inside the region: so is every descendant) and ``mixed``
    (not both: its descendants must be walked). Wholly sea cells have no land below them.
    """
    coarse, level1 = [], []
    for piece in pieces.values():
        i, j = piece.cells(size)
        purity = cell_purity(piece.epsg, i, j, size)
        fraction = purity.astype(float)
        mixed = np.flatnonzero(purity < 0)
        fraction[mixed] = sampled_land_fraction(piece.epsg, i[mixed], j[mixed], size)
        is_land = fraction >= min_land_fraction
        level1.append(pd.DataFrame({"epsg": piece.epsg, "i": i[is_land], "j": j[is_land]}))
        # A pure cell's descendants share its land fraction: below a pure non-land cell
        # there is no land cell.
        keep = (purity < 0) | is_land
        i, j, pure, is_land = i[keep], j[keep], purity[keep] >= 0, is_land[keep]
        covered = np.zeros(len(i), bool)
        covered[pure] = piece.covers(i[pure], j[pure], size)
        coarse.append(
            pd.DataFrame(
                {
                    "epsg": piece.epsg,
                    "i": i,
                    "j": j,
                    "land1": is_land,
                    "pure_land": pure,
                    "covered": covered,
                    "mixed": ~(covered & pure),
                }
            )
        )
    columns = ["epsg", "i", "j", "land1", "pure_land", "covered", "mixed"]
    return (
        pd.concat(coarse, ignore_index=True) if coarse else pd.DataFrame(columns=columns),
        pd.concat(level1, ignore_index=True)
        if level1
        else pd.DataFrame({"epsg": [], "i": [], "j": []}),
    )


def survey(
    region: Any,
    polygons: gpd.GeoDataFrame | None,
    zooms: Sequence[int],
    cell_sizes: Mapping[int, int],
    max_cells_per_shard: int = 256,
    shard_block_m: int = 327680,
    min_land_fraction: float = 0.5,
    sample_cells: int = 3000,
    seed: int = 0,
) -> Survey:
    """Count land, reachable and mine cells of every level (see the module docstring)."""
    started = time.perf_counter()
    zooms = tuple(int(z) for z in zooms)
    sizes = [int(cell_sizes[z]) for z in zooms]
    levels = len(zooms)
    geometry = region if isinstance(region, shapely.Geometry) else region_geometry(region)
    pieces = {piece.epsg: piece for piece in zone_pieces(geometry)}
    rng = np.random.default_rng(seed)

    coarse, cells1 = _coarse_cells(pieces, sizes[0], min_land_fraction)
    if len(cells1) == 0:
        raise MinescanInputError(
            "region", "has no land cells at the coarsest level", "give a region on land"
        )
    level1_shards = len(
        np.unique(
            assign_shards(
                cells1["epsg"].to_numpy(),
                cells1["i"].to_numpy(),
                cells1["j"].to_numpy(),
                sizes[0],
                shard_block_m,
                max_cells_per_shard,
            )
        )
    )

    n = len(coarse)
    depth_count = 4.0 ** np.arange(levels)
    coarse_land = np.zeros((n, levels))
    pure = ~coarse["mixed"].to_numpy()
    coarse_land[pure] = depth_count  # below a pure cell inside the region: every descendant
    mixed_index = np.flatnonzero(~pure)
    walked = (
        mixed_index
        if len(mixed_index) <= sample_cells
        else np.sort(rng.choice(mixed_index, sample_cells, replace=False))
    )
    walked_land = np.zeros((len(walked), levels))
    walked_reach = np.zeros((len(walked), levels))
    epsg_all = coarse["epsg"].to_numpy()
    for epsg in np.unique(epsg_all[walked]):
        rows = np.flatnonzero(epsg_all[walked] == epsg)
        sel = walked[rows]
        walked_land[rows], walked_reach[rows] = _walk_mixed(
            pieces[int(epsg)],
            coarse["i"].to_numpy()[sel],
            coarse["j"].to_numpy()[sel],
            coarse["land1"].to_numpy()[sel],
            coarse["covered"].to_numpy()[sel],
            coarse["pure_land"].to_numpy()[sel],
            sizes,
            min_land_fraction,
        )
    land = pure.sum() * depth_count
    reach = pure.sum() * depth_count
    land_se = np.zeros(levels)
    reach_se = np.zeros(levels)
    m, big = len(walked), len(mixed_index)
    if m:
        scale = big / m
        land += walked_land.sum(axis=0) * scale
        reach += walked_reach.sum(axis=0) * scale
        if m < big:
            fpc = 1.0 - m / big
            land_se = big * np.sqrt(walked_land.var(axis=0, ddof=1) / m * fpc)
            reach_se = big * np.sqrt(walked_reach.var(axis=0, ddof=1) / m * fpc)
        # Per coarse cell: walked cells their own counts, the others their stratum's mean.
        coarse_land[walked] = walked_land
        rest = np.setdiff1d(mixed_index, walked)
        land1 = coarse["land1"].to_numpy()
        for stratum in (True, False):
            source = land1[walked] == stratum
            target = rest[land1[rest] == stratum]
            if source.any() and len(target):
                coarse_land[target] = walked_land[source].mean(axis=0)
    # Level 1 is exact: region_land_cells' cells.
    land[0], reach[0], land_se[0], reach_se[0] = len(cells1), len(cells1), 0.0, 0.0

    mines = _mine_levels(polygons, pieces, sizes, min_land_fraction)
    coarse_keys = _zone_keys(
        coarse["epsg"].to_numpy(), coarse["i"].to_numpy(), coarse["j"].to_numpy()
    )
    order = np.argsort(coarse_keys)
    coarse_mine_reach = np.zeros((n, levels))
    coarse_mine_children = np.zeros((n, levels))
    for level, frame in enumerate(mines):
        reach_rows = frame[frame["reach"]]
        if len(reach_rows) == 0:
            continue
        keys = _zone_keys(
            reach_rows["epsg"].to_numpy(),
            reach_rows["i"].to_numpy() >> level,
            reach_rows["j"].to_numpy() >> level,
        )
        at = order[np.minimum(np.searchsorted(coarse_keys, keys, sorter=order), n - 1)]
        if not (coarse_keys[at] == keys).all():
            raise AssertionError("a reachable mine cell lies outside the region's land cells")
        np.add.at(coarse_mine_reach[:, level], at, 1.0)
        np.add.at(coarse_mine_children[:, level], at, reach_rows["children"].to_numpy(float))

    result = Survey(
        zooms=zooms,
        cell_size_m={z: s for z, s in zip(zooms, sizes, strict=True)},
        max_cells_per_shard=int(max_cells_per_shard),
        shard_block_m=int(shard_block_m),
        land=land,
        land_se=land_se,
        reachable=reach,
        reachable_se=reach_se,
        level1_shards=level1_shards,
        mine_land=np.array([float(f["land"].sum()) for f in mines]),
        mine_reachable=np.array([float(f["reach"].sum()) for f in mines]),
        mine_children=np.array([float(f.loc[f["reach"], "children"].sum()) for f in mines]),
        area_total_m2=np.array([float(f.loc[f["meets"], "area"].sum()) for f in mines]),
        area_land_m2=np.array([float(f.loc[f["land"], "area"].sum()) for f in mines]),
        area_reachable_m2=np.array([float(f.loc[f["reach"], "area"].sum()) for f in mines]),
        coarse=coarse[["epsg", "i", "j"]],
        coarse_land=coarse_land,
        coarse_mine_reachable=coarse_mine_reach,
        coarse_mine_children=coarse_mine_children,
        mixed_cells=big,
        mixed_walked=m,
    )
    result.info = {
        "zone_pieces": len(pieces),
        "coarse_cells_with_land": int(n),
        "mixed_coarse_cells": int(big),
        "mixed_coarse_cells_walked": int(m),
        "polygons": 0 if polygons is None else len(polygons),
        "survey_seconds": round(time.perf_counter() - started, 2),
    }
    log.info("survey: %s", result.info)
    return result


def _zone_keys(epsg: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """One sortable int64 per (zone, i, j) of coarse cells (indices well inside 2**26)."""
    return (
        (np.asarray(epsg, np.int64) - 32600) << 54
        | (np.asarray(i, np.int64) + (1 << 26)) << 27
        | (np.asarray(j, np.int64) + (1 << 26))
    )


# ---------------------------------------------------------------------------------------------
# Expected scans: cells, shards, jobs, pixels, bytes and area recall per level


def _shard_parts(survey: Survey) -> list[np.ndarray]:
    """Per quadtree depth of the root blocks, the part each coarse cell lies in (an index)."""
    size1 = survey.cell_size_m[survey.zooms[0]]
    per_block = survey.shard_block_m / size1  # coarse cells per block side
    depth_max = int(np.floor(np.log2(per_block))) if per_block >= 1 else 0
    epsg = survey.coarse["epsg"].to_numpy()
    i, j = survey.coarse["i"].to_numpy(), survey.coarse["j"].to_numpy()
    bx, by = np.floor(i / per_block).astype(np.int64), np.floor(j / per_block).astype(np.int64)
    li, lj = i - bx * per_block, j - by * per_block
    parts = []
    for depth in range(depth_max + 1):
        px = bx * 2**depth + np.floor(li * 2**depth / per_block).astype(np.int64)
        py = by * 2**depth + np.floor(lj * 2**depth / per_block).astype(np.int64)
        parts.append(np.unique(_zone_keys(epsg, px, py), return_inverse=True)[1].ravel())
    return parts


def _expected_shards(survey: Survey, counts: np.ndarray, level: int) -> float:
    """Expected shards of a level whose expected cells per coarse cell are ``counts``.

    ``assign_shards`` splits a root block into quadrants while a part holds more than
    ``max_cells_per_shard`` cells. Here parts are summed from the coarse cells, cells are spread
    evenly inside a coarse cell, and a part of n expected cells holds at least one cell (is a
    shard) with probability 1 - exp(-n).
    """
    limit = float(survey.max_cells_per_shard)
    if survey.shard_parts is None:
        survey.shard_parts = _shard_parts(survey)
    active = counts > 0
    total = 0.0
    for part in survey.shard_parts:
        if not active.any():
            return total
        sums = np.bincount(part[active], weights=counts[active], minlength=int(part.max()) + 1)
        small = sums <= limit
        total += float((1.0 - np.exp(-sums[small])).sum())
        active &= ~small[part]
    rest = counts[active]
    # Parts the size of a coarse cell still too big: split evenly, four ways a step, at most
    # down to single cells of this level.
    splits = np.clip(np.ceil(np.log(rest / limit) / np.log(4.0)), 0, level)
    parts = 4.0**splits
    return total + float((parts * (1.0 - np.exp(-rest / parts))).sum())


def expected_scans(
    survey: Survey,
    pixel_sizes: Mapping[int, int],
    bands: int,
    recall: Quality,
    false_positive_rate: Quality,
) -> pd.DataFrame:
    """The plan's table for one screen quality (see the module docstring for the model)."""
    zooms = survey.zooms
    levels = len(zooms)
    r = _per_level(recall, zooms, "recall")
    f = _per_level(false_positive_rate, zooms, "false_positive_rate")
    reached = np.concatenate([[1.0], np.cumprod(r)[:-1]])  # P_k

    # Pyramid, per coarse cell, then summed.
    scored = np.zeros((len(survey.coarse), levels))
    scored[:, 0] = survey.coarse_land[:, 0]
    mine_scored = survey.coarse_mine_reachable * reached[None]
    rho = np.zeros(levels)
    for k in range(levels - 1):
        other = survey.reachable[k] - survey.mine_reachable[k]
        spare = survey.reachable[k + 1] - survey.mine_children[k]
        rho[k] = np.clip(spare / other, 0.0, 4.0) if other > 0 else 0.0
        scored[:, k + 1] = (
            reached[k + 1] * survey.coarse_mine_children[:, k]
            + f[k] * np.clip(scored[:, k] - mine_scored[:, k], 0.0, None) * rho[k]
        )
    cells_pyramid = scored.sum(axis=0)
    mines_pyramid = survey.mine_reachable * reached
    kept_pyramid = r * mines_pyramid + f * np.clip(cells_pyramid - mines_pyramid, 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        area_scored = np.where(
            survey.area_total_m2 > 0,
            reached * survey.area_reachable_m2 / survey.area_total_m2,
            np.nan,
        )
        area_exhaustive = np.where(
            survey.area_total_m2 > 0, survey.area_land_m2 / survey.area_total_m2, np.nan
        )

    rows = []
    finest_pixels = None
    for scan in (EXHAUSTIVE, PYRAMID):
        for k, zoom in enumerate(zooms):
            size, pixel = survey.cell_size_m[zoom], int(pixel_sizes[zoom])
            side = size // pixel
            if scan == EXHAUSTIVE:
                cells, mines = survey.land[k], survey.mine_land[k]
                kept = r[k] * mines + f[k] * max(cells - mines, 0.0)
                shards = (
                    survey.level1_shards
                    if k == 0
                    else _expected_shards(survey, survey.coarse_land[:, k], k)
                )
                recall_scored = area_exhaustive[k]
                if k == 0 or survey.mixed_walked == survey.mixed_cells:
                    basis = "exact" if k == 0 else "exact cells; shards estimated"
                else:
                    basis = f"sampled ({survey.land_se[k] / cells:.1%} s.e.); shards estimated"
            else:
                cells, mines, kept = cells_pyramid[k], mines_pyramid[k], kept_pyramid[k]
                shards = (
                    survey.level1_shards if k == 0 else _expected_shards(survey, scored[:, k], k)
                )
                recall_scored = area_scored[k]
                basis = "exact" if k == 0 else "expected (model)"
                if k and survey.mixed_walked < survey.mixed_cells:
                    share = survey.reachable_se[k] / survey.reachable[k]
                    basis += f"; reachable cells sampled ({share:.1%} s.e.)"
            rows.append(
                {
                    "scan": scan,
                    "level": f"z{zoom}",
                    "zoom": zoom,
                    "cell_size_m": size,
                    "pixel_size_m": pixel,
                    "tile_px": side,
                    "recall": r[k],
                    "false_positive_rate": f[k],
                    "cells": cells,
                    "mine_cells": mines,
                    "kept": kept,
                    "shards": shards,
                    "jobs": JOBS_PER_SHARD * shards,
                    "pixels": cells * side * side,
                    "bytes": cells * side * side * (bands + 1) * BYTES_PER_VALUE,
                    "area_recall_scored": recall_scored,
                    "area_recall_kept": recall_scored * r[k],
                    "basis": basis,
                }
            )
            if scan == EXHAUSTIVE and k == levels - 1:
                finest_pixels = rows[-1]["pixels"]
    table = pd.DataFrame(rows)
    exhaustive_final = table[table["scan"] == EXHAUSTIVE].iloc[-1].to_dict()
    pyramid = table[table["scan"] == PYRAMID]
    pyramid_total = {
        **{
            c: pyramid[c].sum()
            for c in ("cells", "mine_cells", "shards", "jobs", "pixels", "bytes")
        },
        "scan": PYRAMID,
        "level": "total",
        "zoom": pd.NA,
        "kept": pyramid["kept"].iloc[-1],
        "area_recall_scored": pyramid["area_recall_scored"].iloc[-1],
        "area_recall_kept": pyramid["area_recall_kept"].iloc[-1],
        "basis": "sum of the levels; recall and kept of the finest",
    }
    exhaustive_total = {
        **exhaustive_final,
        "level": "total",
        "zoom": pd.NA,
        "basis": "the finest level (the exhaustive scan)",
    }
    table = pd.concat(
        [
            table[table["scan"] == EXHAUSTIVE],
            pd.DataFrame([exhaustive_total]),
            pyramid,
            pd.DataFrame([pyramid_total]),
        ],
        ignore_index=True,
    )
    for column in ("zoom", "cell_size_m", "pixel_size_m", "tile_px"):
        table[column] = table[column].astype("Int64")
    table["pixel_fraction"] = table["pixels"] / finest_pixels
    table.attrs = {
        **survey.info,
        "rho": [float(x) for x in rho],
        "mining_area_km2": float(survey.area_total_m2[-1] / 1e6),
        "mining_area_on_land_km2": float(survey.area_land_m2[-1] / 1e6),
    }
    return table


def plan(
    region: Any,
    polygons: gpd.GeoDataFrame | None,
    zooms: Sequence[int],
    cell_sizes: Mapping[int, int],
    pixel_sizes: Mapping[int, int],
    bands: int,
    max_cells_per_shard: int,
    shard_block_m: int,
    recall: Quality,
    false_positive_rate: Quality,
    min_land_fraction: float = 0.5,
    sample_cells: int = 3000,
    seed: int = 0,
) -> pd.DataFrame:
    """Expected cells, mine cells, kept cells, shards, jobs, pixels, bytes and area recall per
    level of an exhaustive scan and of the pyramid, with totals and the pyramid's fraction of
    the exhaustive finest-level pixels (``pixel_fraction``).

    ``region``: anything ``region_geometry`` takes, or a lon/lat geometry. ``polygons``:
    cleaned polygons (``utm_epsg`` column, no overlaps; see ``load_polygons``). ``recall`` and
    ``false_positive_rate``: per-level screen qualities, a scalar, a list (coarsest first) or
    ``{zoom: value}``. One row per (scan, level) plus a ``total`` row per scan; the model, what
    is exact and what is estimated, and what a job is are in the module docstring.
    """
    zooms = check_levels(zooms, cell_sizes, pixel_sizes)
    surveyed = survey(
        region,
        polygons,
        zooms,
        cell_sizes,
        max_cells_per_shard,
        shard_block_m,
        min_land_fraction,
        sample_cells,
        seed,
    )
    return expected_scans(surveyed, pixel_sizes, bands, recall, false_positive_rate)


def meets_goal(
    table: pd.DataFrame, min_area_recall: float = 0.95, max_pixel_fraction: float = 0.10
) -> dict[str, Any]:
    """Whether the pyramid reaches the issue's goal: at least ``min_area_recall`` of the mining
    area reaches the finest level with at most ``max_pixel_fraction`` of the exhaustive
    finest-level pixels; ``strict`` also counts the finest level's own screen."""
    total = table[(table["scan"] == PYRAMID) & (table["level"] == "total")].iloc[0]
    return {
        "pixel_fraction": float(total["pixel_fraction"]),
        "area_recall_reaching_finest": float(total["area_recall_scored"]),
        "area_recall_after_finest_screen": float(total["area_recall_kept"]),
        "goal": bool(
            total["pixel_fraction"] <= max_pixel_fraction
            and total["area_recall_scored"] >= min_area_recall
        ),
        "strict": bool(
            total["pixel_fraction"] <= max_pixel_fraction
            and total["area_recall_kept"] >= min_area_recall
        ),
    }


__all__ = [
    "EXHAUSTIVE",
    "JOBS_PER_SHARD",
    "check_levels",
    "PYRAMID",
    "Survey",
    "expected_scans",
    "load_polygons",
    "meets_goal",
    "plan",
    "polygons_hull",
    "survey",
]
