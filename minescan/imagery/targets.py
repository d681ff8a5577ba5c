"""Target lists and input functions of the imagery and pixels rules (kept out of the .smk files).

Shards are known only after the grid checkpoint of a zoom level has run, so per-shard inputs are
input functions that ask the checkpoint for its shards table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd


def shards(checkpoints: Any, zoom: str | int) -> list[str]:
    """Shard ids of a zoom level, from the grid checkpoint's shards.csv."""
    table = checkpoints.grid_cells.get(zoom=str(zoom)).output.shards
    return pd.read_csv(table, dtype={"shard": str})["shard"].tolist()


def per_shard(checkpoints: Any, pattern: str) -> Callable[[Any], list[str]]:
    """Input function: ``pattern`` (with {zoom} and {shard}) for every shard of the zoom."""

    def get_per_shard(wildcards: Any) -> list[str]:
        return [
            pattern.format(zoom=wildcards.zoom, shard=s)
            for s in shards(checkpoints, wildcards.zoom)
        ]

    return get_per_shard


def per_zoom(pattern: str, zooms: Sequence[int]) -> Callable[[], list[str]]:
    """Final-target function: ``pattern`` (with {zoom}) for every configured zoom level."""

    def get_per_zoom() -> list[str]:
        return [pattern.format(zoom=z) for z in zooms]

    return get_per_zoom
