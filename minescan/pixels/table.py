"""The per-shard pixel table: Parquet (default) and the seed's CSV on request.

One row per valid pixel of every tile: ``cell_id``, ``name``, ``zoom``, ``row``, ``col``, one
uint16 column per band (reflectance x 10000), ``distance_m`` (float32, signed, negative inside
a polygon), ``mine`` (uint8) and the cell metadata. No-data pixels never appear. The Parquet
key-value metadata holds the provenance JSON (``minescan``) and ``simulated`` (true/false).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from minescan.atomic import atomic_path
from minescan.cells import (
    METADATA_COLUMNS,
    Cell,
    PolygonsByCrs,
    cell_from_row,
    read_cells,
    read_polygons,
)
from minescan.imagery.tile import read_tile, tile_tags
from minescan.outputs import parquet_metadata, write_csv
from minescan.pixels.distance import SignedDistance
from minescan.provenance import provenance

log = logging.getLogger(__name__)
METADATA_TYPES: dict[str, pa.DataType] = {
    "label": pa.string(),
    "country": pa.string(),
    "climate": pa.string(),
    "centroid_lon": pa.float64(),
    "centroid_lat": pa.float64(),
    "overlap_fraction": pa.float64(),
}


def pixel_schema(bands: Sequence[str]) -> pa.Schema:
    fields = [
        pa.field("cell_id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("zoom", pa.int16()),
        pa.field("row", pa.int32()),
        pa.field("col", pa.int32()),
        *[pa.field(band, pa.uint16()) for band in bands],
        pa.field("distance_m", pa.float32()),
        pa.field("mine", pa.uint8()),
        *[pa.field(name, METADATA_TYPES[name]) for name in METADATA_COLUMNS],
    ]
    return pa.schema(fields)


def cell_rng(seed: int, cell_id: str) -> np.random.Generator:
    """A generator per cell: a cell's sample does not depend on which shard holds it."""
    digest = hashlib.sha256(f"pixels:{seed}:{cell_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def cell_pixel_table(
    tile: str | Path,
    cell: Cell,
    bands: Sequence[str],
    distance: SignedDistance,
    sample_fraction: float = 1.0,
    edge_buffer_m: float = 0.0,
    seed: int = 0,
) -> pa.Table:
    """The rows of one tile: valid pixels, optionally sampled, minus those near polygon edges."""
    data = read_tile(tile, bands)
    rows, cols = np.nonzero(data.valid)
    if sample_fraction < 1.0:
        keep = cell_rng(seed, cell.cell_id).random(len(rows)) < sample_fraction
        rows, cols = rows[keep], cols[keep]
    mine = data.mine[rows, cols]
    dist = distance(cell, rows, cols, mine.astype(bool))
    if edge_buffer_m > 0:
        keep = np.abs(dist) >= edge_buffer_m
        rows, cols, mine, dist = rows[keep], cols[keep], mine[keep], dist[keep]
    n = len(rows)
    meta = cell.metadata or {}
    constants: dict[str, Any] = {"cell_id": cell.cell_id, "name": cell.name, "zoom": cell.zoom}
    for name in METADATA_COLUMNS:
        value = meta.get(name)
        missing = value is None or (isinstance(value, float) and np.isnan(value))
        constants[name] = None if missing else value
    arrays: dict[str, Any] = {
        "row": rows.astype(np.int32),
        "col": cols.astype(np.int32),
        **{band: data.data[i][rows, cols] for i, band in enumerate(bands)},
        "distance_m": dist,
        "mine": mine.astype(np.uint8),
    }
    schema = pixel_schema(bands)
    columns = [
        pa.repeat(pa.scalar(constants[f.name], f.type), n)
        if f.name in constants
        else pa.array(arrays[f.name], type=f.type)
        for f in schema
    ]
    return pa.table(columns, schema=schema)


def make_shard_pixels(
    *,
    status: str | Path,
    tiles_dir: str | Path,
    cells: str | Path,
    polygons: str | Path,
    shard: str,
    out: str | Path,
    bands: Sequence[str],
    pixel_size: float = 10.0,
    sample_fraction: float = 1.0,
    edge_buffer_m: float = 0.0,
    seed: int = 0,
    distance_method: str = "exact",
    distance_margin_m: float = 5000.0,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Write the shard's Parquet pixel table; the number of rows."""
    table = pd.read_csv(status)
    done = table[table["status"] == "ok"]
    cell_rows = read_cells(cells, shard).set_index("cell_id", drop=False)
    distance = SignedDistance(
        PolygonsByCrs(read_polygons(polygons)), distance_margin_m, distance_method
    )
    schema = pixel_schema(bands)
    record = provenance({**(params or {}), "shard": shard, "bands": list(bands)})
    tiles = [Path(tiles_dir) / name for name in done["tile"]]
    simulated = any(tile_tags(tile).get("simulated") == "true" for tile in tiles)
    metadata = parquet_metadata(record, simulated="true" if simulated else "false")
    total = 0
    with (
        atomic_path(out) as tmp,
        pq.ParquetWriter(
            tmp, schema.with_metadata(metadata), compression="zstd", compression_level=1
        ) as writer,
    ):
        for n, (cell_id, tile) in enumerate(zip(done["cell_id"], tiles, strict=True), start=1):
            cell = cell_from_row(cell_rows.loc[cell_id].to_dict(), pixel_size)
            rows = cell_pixel_table(
                tile, cell, bands, distance, sample_fraction, edge_buffer_m, seed
            )
            writer.write_table(rows)
            total += rows.num_rows
            if n % 10 == 0 or n == len(done):
                log.info("shard %s: %d/%d tiles, %d rows", shard, n, len(done), total)
    log.info("shard %s: %d pixel rows from %d tiles -> %s", shard, total, len(done), out)
    return total


def parquet_to_csv(parquet: str | Path, csv: str | Path, batch_rows: int = 262144) -> int:
    """The seed's CSV of a pixel table, streamed in batches; the number of rows."""
    source = pq.ParquetFile(parquet)
    total = 0
    with atomic_path(csv) as tmp, pacsv.CSVWriter(str(tmp), source.schema_arrow) as writer:
        for batch in source.iter_batches(batch_size=batch_rows):
            writer.write_batch(batch)
            total += batch.num_rows
    return total


def summarise_pixels(tables: Sequence[str | Path], out: str | Path) -> pd.DataFrame:
    """Rows, mine rows and cells per shard of one zoom level, read from the Parquet files."""
    records = []
    for path in tables:
        parquet = pq.ParquetFile(path)
        meta = parquet.schema_arrow.metadata or {}
        counts = pq.read_table(path, columns=["cell_id", "mine"])
        records.append(
            {
                "shard": Path(path).stem,
                "rows": parquet.metadata.num_rows,
                "mine_rows": int(pa.compute.sum(counts["mine"]).as_py() or 0),
                "cells": len(pa.compute.unique(counts["cell_id"])),
                "simulated": meta.get(b"simulated", b"false").decode(),
            }
        )
    frame = pd.DataFrame(records, columns=["shard", "rows", "mine_rows", "cells", "simulated"])
    write_csv(frame, out)
    return frame
