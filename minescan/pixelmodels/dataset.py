"""The training table: the pixel tables of one zoom level, subsampled, with splits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from minescan.errors import MinescanInputError
from minescan.outputs import read_provenance
from minescan.pixelmodels.features import Feature, build_features

LOG = logging.getLogger(__name__)
META_COLUMNS = ("cell_id", "row", "col", "mine", "distance_m", "label", "country", "climate")


def read_pixel_table(path: str | Path, bands: Sequence[str]) -> pd.DataFrame:
    """One shard's pixel table: the bands and the columns the models use."""
    schema = pq.read_schema(path).names
    missing = [
        c for c in (*bands, "cell_id", "row", "col", "mine", "distance_m") if c not in schema
    ]
    if missing:
        raise MinescanInputError(
            str(path), f"columns {missing} are missing", "rebuild the pixel tables"
        )
    table = pd.read_parquet(path, columns=[c for c in (*META_COLUMNS, *bands) if c in schema])
    for column in ("label", "country", "climate"):
        table[column] = table[column].astype(str) if column in table else "unknown"
    return table


def sample_rows(table: pd.DataFrame, share: float, seed: Sequence[int]) -> pd.DataFrame:
    """A seeded random share of the rows, in their original order."""
    if share >= 1.0:
        return table
    rng = np.random.default_rng(list(seed))
    take = np.sort(rng.choice(len(table), size=round(len(table) * share), replace=False))
    return table.iloc[take]


def sampled_fraction(path: str | Path) -> float:
    """The share of valid pixels the pixels stage kept in this table (its provenance)."""
    params = read_provenance(path).get("params", {})
    return float(params.get("sample_fraction", 1.0))


def total_rows(paths: Sequence[str | Path]) -> int:
    return int(sum(pq.ParquetFile(p).metadata.num_rows for p in paths))


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
