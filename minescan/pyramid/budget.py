"""Checks of a pyramid scan before any job runs: the region has land, the finest level has a
detector when one is asked for, and the jobs fit the configured budget."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from minescan.errors import MinescanInputError
from minescan.grid.build import GridSpec
from minescan.grid.regions import region_cells, region_geometry
from minescan.pyramid.levels import Level
from minescan.pyramid.planner import JOBS_PER_SHARD

SOURCE = "config"


def first_level_cells(pyramid: Mapping[str, Any], grid: Mapping[str, Any], level: Level):
    """Every land cell of the region at the first level (no polygons: only their count and
    shards matter here)."""
    spec = GridSpec(
        zooms=(level.zoom,),
        cell_size_m={level.zoom: level.cell_size_m},
        pixel_size_m=int(grid.get("pixel_size_m", 10)),
        max_cells_per_shard=int(grid["max_cells_per_shard"]),
        shard_block_m=int(grid["shard_block_m"]),
    )
    geometry = region_geometry(pyramid["region"])
    if geometry.is_empty:
        raise MinescanInputError(
            SOURCE,
            f"pyramid.region {pyramid['region']!r} is empty (a file with no polygons?)",
            "give a region with an area",
        )
    return region_cells(geometry, level.zoom, spec, None, float(pyramid["min_land_fraction"]))


def job_plan(
    first: pd.DataFrame, levels: Sequence[Level], max_cells_per_shard: int, exhaustive: bool
) -> pd.DataFrame:
    """Shard jobs of the first level (exact) and, when asked, of the exhaustive scan of every
    level (estimated: four land cells a parent; the finer levels' land is not computed here)."""
    rows = [
        {
            "scan": "pyramid",
            "zoom": levels[0].zoom,
            "cells": len(first),
            "shards": first["shard"].nunique(),
        }
    ]
    if exhaustive:
        for k, level in enumerate(levels):
            cells = len(first) * 4**k
            shards = max(first["shard"].nunique(), math.ceil(cells / max_cells_per_shard))
            rows.append(
                {"scan": "exhaustive", "zoom": level.zoom, "cells": cells, "shards": shards}
            )
    plan = pd.DataFrame(rows)
    plan["jobs"] = plan["shards"] * JOBS_PER_SHARD
    return plan


def check_pyramid(
    pyramid: Mapping[str, Any],
    grid: Mapping[str, Any],
    levels: Sequence[Level],
    detection_zooms: Sequence[int],
) -> pd.DataFrame:
    """Raise MinescanInputError naming the key when the scan cannot run as configured."""
    finest = levels[-1]
    if pyramid.get("detect"):
        if finest.zoom not in detection_zooms:
            raise MinescanInputError(
                SOURCE,
                f"pyramid.detect is on but its finest level z{finest.zoom} has no trained "
                f"detector (detection.zooms {list(detection_zooms)}, detection.enabled)",
                f"add {finest.zoom} to detection.zooms, or set pyramid.detect: false",
            )
        if finest.pixel_size_m != int(grid.get("pixel_size_m", 10)):
            raise MinescanInputError(
                SOURCE,
                f"pyramid.detect needs the finest level at the detector's pixel size "
                f"{grid.get('pixel_size_m', 10)} m, not {finest.pixel_size_m} m",
                "set the finest pixel_size_m to grid.pixel_size_m",
            )
    first = first_level_cells(pyramid, grid, levels[0])
    if first.empty:
        raise MinescanInputError(
            SOURCE,
            f"pyramid.region {pyramid['region']!r} has no land cell at zoom {levels[0].zoom} "
            "(a region in the sea or with no land)",
            "give a region that covers land",
        )
    plan = job_plan(first, levels, int(grid["max_cells_per_shard"]), bool(pyramid["exhaustive"]))
    total = int(plan["jobs"].sum())
    if total > int(pyramid["max_jobs"]):
        raise MinescanInputError(
            SOURCE,
            f"the scan of pyramid.region would take about {total} shard jobs before the screens "
            f"decide anything, over pyramid.max_jobs {pyramid['max_jobs']}:\n"
            f"{plan.to_string(index=False)}",
            "skip the exhaustive comparison (--config pyramid='{exhaustive: false}', or "
            "pyramid.exhaustive: false in a --configfile), raise pyramid.max_jobs, scan a smaller "
            "region, or raise grid.max_cells_per_shard (python -m minescan.pyramid.plan_cli plans "
            "any region)",
        )
    return plan
