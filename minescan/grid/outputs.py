"""Writers of the grid products, each atomic: GeoParquet, GeoPackage, the seed's Locations CSV,
the shard list, and the cleaned polygons."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from minescan.atomic import atomic_path

PROVENANCE_KEY = b"minescan:provenance"

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


def write_geoparquet(frame: gpd.GeoDataFrame, path: str | Path, provenance: dict) -> None:
    """GeoParquet with the provenance JSON in the file's key-value metadata."""
    with atomic_path(path) as tmp:
        # geopandas writes the GeoParquet 'geo' metadata; pyarrow then adds ours beside it.
        plain = tmp.with_name(tmp.name + ".plain")
        try:
            frame.to_parquet(plain, index=False)
            table = pq.read_table(plain)
        finally:
            plain.unlink(missing_ok=True)
        metadata = {**(table.schema.metadata or {}), PROVENANCE_KEY: json.dumps(provenance)}
        pq.write_table(table.replace_schema_metadata(metadata), tmp)


def read_provenance(path: str | Path) -> dict:
    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata.get(PROVENANCE_KEY, b"{}"))


def write_gpkg(frame: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    with atomic_path(path) as tmp:
        frame.to_file(tmp, layer=layer, driver="GPKG")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.7g")


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
