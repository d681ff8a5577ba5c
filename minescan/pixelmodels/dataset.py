"""The training table: the pixel tables of one zoom level, subsampled, with splits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from minescan.errors import MinescanInputError
from minescan.pixelmodels.features import Feature, build_features

LOG = logging.getLogger(__name__)
META_COLUMNS = ("cell_id", "row", "col", "mine", "distance_m", "label", "country", "climate")


def load_pixel_tables(
    paths: Sequence[str | Path], bands: Sequence[str], max_rows: int, seed: int
) -> pd.DataFrame:
    """Concatenate the shards' pixel tables, keeping about ``max_rows`` rows picked at random
    (the same share from each shard, seeded per shard so a rerun picks the same rows)."""
    if not paths:
        raise MinescanInputError("pixel tables", "no shard tables for the configured zoom")
    counts = [pq.ParquetFile(p).metadata.num_rows for p in paths]
    total = int(sum(counts))
    share = min(1.0, max_rows / total) if total else 1.0
    LOG.info("%d pixel tables, %d rows; keeping a share of %.4f", len(paths), total, share)
    parts = []
    for i, (path, count) in enumerate(zip(paths, counts, strict=True)):
        if count == 0:
            continue
        schema = pq.read_schema(path).names
        missing = [c for c in (*bands, "cell_id", "mine", "distance_m") if c not in schema]
        if missing:
            raise MinescanInputError(
                str(path), f"columns {missing} are missing", "rebuild the pixel tables"
            )
        columns = [c for c in (*META_COLUMNS, *bands) if c in schema]
        table = pd.read_parquet(path, columns=columns)
        if share < 1.0:
            rng = np.random.default_rng([seed, i])
            take = np.sort(rng.choice(count, size=round(count * share), replace=False))
            table = table.iloc[take]
        parts.append(table)
        if (i + 1) % 20 == 0 or i + 1 == len(paths):
            LOG.info("  read %d/%d tables", i + 1, len(paths))
    out = pd.concat(parts, ignore_index=True)
    for column in ("label", "country", "climate"):
        if column not in out:
            out[column] = "unknown"
        out[column] = out[column].astype(str)
    return out


def drop_edge_pixels(table: pd.DataFrame, buffer_m: float) -> pd.DataFrame:
    """Drop pixels within ``buffer_m`` of a polygon edge (the seed's hint about edge errors)."""
    if buffer_m <= 0:
        return table
    keep = np.abs(table["distance_m"].to_numpy()) >= buffer_m
    LOG.info("edge buffer %g m drops %d of %d pixels", buffer_m, int((~keep).sum()), len(keep))
    return table[keep].reset_index(drop=True)


def dataset_features(
    bands: Sequence[str], *, use_bands: bool, pairs: bool, indices: bool, patch: bool
) -> list[Feature]:
    """The feature list of a pixel or patch dataset (patches add each band's spread)."""
    features = build_features(bands, use_bands=use_bands, pairs=pairs, indices=indices)
    if patch:
        features += [Feature(f"{b}_sd", f"{b}_sd") for b in bands]
    return features


def split_arrays(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["split"].to_numpy() == name]
