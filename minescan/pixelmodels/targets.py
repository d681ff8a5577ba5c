"""Snakemake input functions of the models rules, built here so the rule file stays declarative.

Each factory returns a named ``get_*`` function for ``workflow/rules/models.smk``; the ones
that depend on the shards ask the ``grid_cells`` checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

LOG = logging.getLogger("snakemake")


def _shards(checkpoints: Any, zoom: str) -> list[str]:
    path = checkpoints.grid_cells.get(zoom=zoom).output.shards
    return pd.read_csv(path)["shard"].astype(str).tolist()


def per_shard(checkpoints: Any, pattern: str) -> Callable:
    """Input function: ``pattern`` (with {zoom} and {shard}) for every shard of the zoom."""

    def get_per_shard(wildcards) -> list[str]:
        zoom = wildcards.zoom
        return [pattern.format(zoom=zoom, shard=s) for s in _shards(checkpoints, zoom)]

    return get_per_shard


def model_predictions(
    models_dir: str, units: Sequence[str], families: Sequence[str]
) -> dict[str, str]:
    """unit/model -> predictions file pattern (with {zoom}) of every compared model."""
    out = {}
    for unit in units:
        out[f"{unit}/lasso"] = f"{models_dir}/{unit}/lasso/predictions.parquet"
        out[f"{unit}/logistic_l1"] = f"{models_dir}/{unit}/logistic/predictions.parquet"
        for family in families:
            out[f"{unit}/{family}"] = f"{models_dir}/{unit}/{family}/predictions.parquet"
    return out


def final_targets(results: str, zoom: int, scan: bool, chips_path: str) -> Callable[[], list[str]]:
    """The stage's final targets; the real-chip evaluation only when its folder exists."""

    def get_models_outputs() -> list[str]:
        base = f"{results}/models/z{zoom}"
        targets = [
            f"{base}/comparison.csv",
            f"{base}/channels.json",
            f"{base}/gee/mine_probability.js",
            f"{base}/pixel/lasso/weights.png",
            f"{base}/pixel/logistic/weights.png",
        ]
        if scan:
            targets.append(f"{base}/scan_scores.parquet")
        if Path(chips_path).is_dir():
            targets.append(f"{results}/models/chips/metrics.csv")
        else:
            LOG.warning(
                "models.chips.path %s not found: the real-chip evaluation is skipped", chips_path
            )
        return targets

    return get_models_outputs
