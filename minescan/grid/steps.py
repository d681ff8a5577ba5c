"""The grid stage's rules as plain functions: one per rule, called by the thin scripts in
workflow/scripts/ with what Snakemake passes, and directly by the tests."""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd

from minescan.grid.build import build_grid, level_spec
from minescan.grid.negatives import NegativeSearch
from minescan.grid.outputs import shard_summary, write_grid_products
from minescan.grid.regions import region_cells, region_geometry
from minescan.outputs import write_csv, write_geoparquet
from minescan.provenance import provenance

log = logging.getLogger(__name__)


def negative_search(negatives: dict[str, Any]) -> NegativeSearch | None:
    if negatives.get("strategy", "nearest") == "none":
        return None
    return NegativeSearch(
        max_distance_m=float(negatives.get("max_distance_m", 50_000)),
        min_land_fraction=float(negatives.get("min_land_fraction", 0.5)),
    )


def grid_cells_step(
    *,
    polygons: str,
    zoom: int,
    level: dict[str, Any],
    negatives: dict[str, Any],
    cells: str,
    gpkg: str,
    locations: str,
    shards: str,
) -> None:
    """Positives, negatives, names, metadata and shards of one zoom level.

    ``level`` holds only what this zoom's cells depend on (see ``level_spec``), so adding a
    finer zoom level or changing another one does not rebuild this one.
    """
    spec = level_spec(zoom=int(zoom), **level)
    clean = gpd.read_parquet(polygons)
    table = build_grid(clean, spec, negative_search(negatives), zooms=[int(zoom)])[int(zoom)]
    record = provenance(
        {"zoom": int(zoom), "level": level, "negatives": negatives}, {"polygons": polygons}
    )
    write_grid_products(table, int(zoom), cells, gpkg, locations, shards, record)


def grid_map_step(*, cells: str, polygons: str, output: str, title: str) -> None:
    table = gpd.read_parquet(cells)
    from minescan.grid.plot import plot_grid_map  # matplotlib only in the map jobs

    plot_grid_map(table, gpd.read_parquet(polygons), output, title)


def region_cells_step(
    *,
    polygons: str,
    extent: Any,
    zoom: int,
    level: dict[str, Any],
    min_land_fraction: float,
    cells: str,
    shards: str,
) -> None:
    """Every land cell of one zoom level covering the region, with its shards."""
    spec = level_spec(zoom=int(zoom), **level)
    geometry = region_geometry(extent)
    table = region_cells(geometry, int(zoom), spec, gpd.read_parquet(polygons), min_land_fraction)
    log.info(
        "region: %d land cells at zoom %s in %d shards",
        len(table),
        zoom,
        table["shard"].nunique(),
    )
    record = provenance(
        {"zoom": int(zoom), "extent": extent, "level": level}, {"polygons": polygons}
    )
    write_geoparquet(table, cells, record)
    write_csv(shard_summary(table), shards)


__all__ = ["grid_cells_step", "grid_map_step", "level_spec", "region_cells_step"]
