"""The grid stage's workflow steps as plain functions: one per rule, called by the thin
scripts in workflow/scripts/ with what Snakemake passes, and directly by the tests."""

from __future__ import annotations

import json
import logging
from typing import Any

import geopandas as gpd

from minescan.atomic import atomic_path
from minescan.grid.build import GridSpec, build_grid
from minescan.grid.negatives import NegativeSearch
from minescan.grid.outputs import write_geoparquet, write_grid_products
from minescan.grid.plot import plot_grid_map
from minescan.grid.polygons import clean_polygons, read_polygons
from minescan.grid.scan import region_geometry, scan_cells
from minescan.provenance import provenance

log = logging.getLogger(__name__)


def negative_search(negatives: dict[str, Any]) -> NegativeSearch | None:
    if negatives.get("strategy", "nearest") == "none":
        return None
    return NegativeSearch(
        max_distance_m=float(negatives.get("max_distance_m", 50_000)),
        min_land_fraction=float(negatives.get("min_land_fraction", 0.5)),
    )


def clean_polygons_step(
    polygons: str, output: str, report: str, layer: str | None = None, schema: str = "auto"
) -> None:
    frame = read_polygons(polygons, layer)
    clean, cleaning = clean_polygons(frame, polygons, schema)
    record = provenance({"layer": layer, "schema": schema}, {"polygons": polygons})
    write_geoparquet(clean, output, record)
    with atomic_path(report) as tmp:
        tmp.write_text(json.dumps({**cleaning.as_dict(), "provenance": record}, indent=2))


def grid_cells_step(
    polygons: str,
    zoom: int,
    grid: dict[str, Any],
    negatives: dict[str, Any],
    cells: str,
    gpkg: str,
    locations: str,
    shards: str,
) -> None:
    spec = GridSpec.from_config(grid)
    clean = gpd.read_parquet(polygons)
    table = build_grid(clean, spec, negative_search(negatives), zooms=[int(zoom)])[int(zoom)]
    record = provenance(
        {"zoom": int(zoom), "grid": grid, "negatives": negatives}, {"polygons": polygons}
    )
    write_grid_products(table, int(zoom), cells, gpkg, locations, shards, record)


def grid_map_step(cells: str, polygons: str, output: str, zoom: int) -> None:
    table = gpd.read_parquet(cells)
    plot_grid_map(table, gpd.read_parquet(polygons), output, f"minescan grid, zoom {zoom}")


def scan_cells_step(
    polygons: str,
    region: Any,
    zoom: int,
    grid: dict[str, Any],
    min_land_fraction: float,
    output: str,
) -> None:
    spec = GridSpec.from_config(grid)
    geometry = region_geometry(region)
    table = scan_cells(geometry, int(zoom), spec, gpd.read_parquet(polygons), min_land_fraction)
    log.info("scan region: %d land cells at zoom %s", len(table), zoom)
    record = provenance({"zoom": int(zoom), "region": region, "grid": grid}, {"polygons": polygons})
    write_geoparquet(table, output, record)


__all__ = [
    "clean_polygons_step",
    "grid_cells_step",
    "grid_map_step",
    "scan_cells_step",
]
