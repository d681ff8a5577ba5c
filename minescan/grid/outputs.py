"""The grid products of one zoom level: GeoParquet, GeoPackage, the seed's Locations CSV and
the shard list."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from minescan.outputs import write_csv, write_geoparquet, write_gpkg

# The seed's Locations table: name, centroid, bounding coordinates, overlap.
LOCATION_COLUMNS = [
    "name",
    "cell_id",
    "zoom",
    "label",
    "centroid_lat",
    "centroid_lon",
    "lat_min",
    "lon_min",
    "lat_max",
    "lon_max",
    "overlap_fraction",
    "country",
    "climate",
    "shard",
]


def shard_summary(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per shard: ``shard, n_cells, n_positive, n_negative`` (sorted by shard)."""
    counts = pd.crosstab(cells["shard"], cells["label"])
    summary = pd.DataFrame(
        {
            "shard": counts.index,
            "n_cells": counts.sum(axis=1).to_numpy(),
            "n_positive": counts.get("positive", pd.Series(0, index=counts.index)).to_numpy(),
            "n_negative": counts.get("negative", pd.Series(0, index=counts.index)).to_numpy(),
        }
    )
    return summary.sort_values("shard", ignore_index=True)


def write_grid_products(
    cells: gpd.GeoDataFrame,
    zoom: int,
    parquet: str | Path,
    gpkg: str | Path,
    locations: str | Path,
    shards: str | Path,
    provenance: dict,
) -> None:
    write_geoparquet(cells, parquet, provenance)
    write_gpkg(cells, gpkg, layer=f"cells_z{zoom}")
    write_csv(cells[LOCATION_COLUMNS], locations)
    write_csv(shard_summary(cells), shards)
