"""Every format minescan writes, atomically and with its provenance under one key.

Parquet and GeoParquet carry the provenance JSON in the file's key-value metadata, JSON
documents and torch files as a top-level field, GeoTIFFs as a dataset tag; all use
``PROVENANCE_KEY``, and ``read_provenance`` reads it back from any of them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from minescan.atomic import atomic_path

if TYPE_CHECKING:  # only the annotations: reading chips and models needs no geopandas
    import geopandas as gpd

PROVENANCE_KEY = "minescan_provenance"
SIMULATED_KEY = "simulated"


def parquet_metadata(provenance: Mapping[str, Any], **extra: str) -> dict[bytes, bytes]:
    """Key-value metadata for a Parquet schema: the provenance JSON and any extra strings."""
    meta = {PROVENANCE_KEY.encode(): json.dumps(provenance, sort_keys=True).encode()}
    meta.update({key.encode(): str(value).encode() for key, value in extra.items()})
    return meta


def write_arrow(table: pa.Table, path: str | Path, provenance: Mapping[str, Any]) -> None:
    """An Arrow table as Parquet, keeping its schema metadata and adding the provenance."""
    metadata = {**(table.schema.metadata or {}), **parquet_metadata(provenance)}
    with atomic_path(path) as tmp:
        pq.write_table(table.replace_schema_metadata(metadata), tmp, compression="zstd")


def write_parquet(frame: pd.DataFrame, path: str | Path, provenance: Mapping[str, Any]) -> None:
    write_arrow(pa.Table.from_pandas(frame, preserve_index=False), path, provenance)


def write_geoparquet(
    frame: gpd.GeoDataFrame, path: str | Path, provenance: Mapping[str, Any]
) -> None:
    """GeoParquet (geopandas writes the 'geo' metadata; the provenance goes beside it)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=Path(path).parent) as scratch:
        plain = Path(scratch) / "plain.parquet"
        frame.to_parquet(plain, index=False)
        table = pq.read_table(plain)
    write_arrow(table, path, provenance)


def write_gpkg(frame: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    write_gpkg_layers({layer: frame}, path)


def write_gpkg_layers(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> None:
    """Several layers in one GeoPackage, which appears only once all are written."""
    with atomic_path(path) as tmp:
        for layer, frame in layers.items():
            frame.to_file(tmp, layer=layer, driver="GPKG")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV for people and spreadsheets (7 significant digits; no provenance: see the logs)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.7g")


def write_json(record: Mapping[str, Any], path: str | Path, provenance: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({**record, PROVENANCE_KEY: provenance}, indent=2, default=str))


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def geotiff_tags(provenance: Mapping[str, Any]) -> dict[str, str]:
    """Dataset tags that carry the provenance in a GeoTIFF."""
    return {PROVENANCE_KEY: json.dumps(provenance, sort_keys=True)}


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance recorded in a Parquet, JSON, GeoTIFF or torch file written by minescan."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        metadata = pq.read_schema(path).metadata or {}
        return json.loads(metadata.get(PROVENANCE_KEY.encode(), b"{}"))
    if suffix == ".json":
        return json.loads(path.read_text()).get(PROVENANCE_KEY, {})
    if suffix == ".pt":
        import torch

        return dict(torch.load(path, map_location="cpu", weights_only=True).get(PROVENANCE_KEY, {}))
    if suffix in (".tif", ".tiff"):
        import rasterio

        with rasterio.open(path) as src:
            return json.loads(src.tags().get(PROVENANCE_KEY, "{}"))
    raise ValueError(f"{path}: no provenance is recorded in {suffix} files")


def write_torch(record: Mapping[str, Any], path: str | Path, provenance: Mapping[str, Any]) -> None:
    """A dict of tensors and plain values (a trained network) saved with ``torch.save``."""
    import torch

    with atomic_path(path) as tmp:
        torch.save({**record, PROVENANCE_KEY: dict(provenance)}, tmp)
