"""The probability rules as plain functions: the deployed pixel model applied to the tiles of
a shard, the per-cell scores of a zoom level in one table, and the Earth Engine export."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from minescan.outputs import geotiff_tags, write_parquet, write_text
from minescan.pixelmodels.model import LinearModel
from minescan.probability.apply import SCORE_COLUMNS, probability_tiles
from minescan.probability.gee import (
    ee_expression,
    javascript_source,
    model_composite,
    python_source,
)

LOG = logging.getLogger(__name__)


def probability_shard(
    *,
    tiles_dir: str,
    status: str,
    model: str,
    out_dir: str,
    scores: str,
    block_pixels: int,
    provenance: dict,
) -> pd.DataFrame:
    """Probability COGs for the tiles of one shard (those its status table marks ``ok``) and
    their per-cell score table."""
    table = pd.read_csv(status)
    ok = table[table["status"] == "ok"]
    tiles = [str(Path(tiles_dir) / name) for name in ok["tile"]]
    LOG.info("%d of %d cells of the shard have a tile", len(tiles), len(table))
    linear = LinearModel.load(model)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    rows = probability_tiles(
        tiles,
        out_dir,
        linear,
        float(linear.meta.get("threshold", 0.5)),
        block_pixels=block_pixels,
        tags={"model": str(linear.meta.get("kind")), **geotiff_tags(provenance)},
    )
    frame = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    write_parquet(frame, scores, provenance)
    return frame


def merge_scores(*, scores: Sequence[str], out: str, provenance: dict) -> pd.DataFrame:
    """The per-cell scores of every shard of a zoom level in one table."""
    frame = pd.concat([pd.read_parquet(p) for p in scores], ignore_index=True)
    write_parquet(frame, out, provenance)
    return frame


def export_gee(
    *,
    model: str,
    composite: Mapping[str, Any],
    python_out: str,
    javascript_out: str,
    expression_out: str,
    provenance: dict,
) -> None:
    """The deployed linear model as Earth Engine Python and Code Editor code, with the
    training composite of ``composite`` (``imagery.backends.gee.composite_params``)."""
    linear = LinearModel.load(model)
    training = model_composite(linear, composite)
    header = (
        f"Model: {linear.meta.get('kind')} ({linear.link} link), lambda "
        f"{linear.meta.get('lambda', float('nan')):.4g}, {linear.meta.get('nonzero')} "
        f"non-zero weights, decision threshold {linear.meta.get('threshold', 0.5):.3f}.\n"
        f"Trained by minescan {provenance.get('version')} ({provenance.get('git_commit')}).\n"
    )
    write_text(python_source(linear, training, header), python_out)
    write_text(javascript_source(linear, training, header), javascript_out)
    write_text(ee_expression(linear) + "\n", expression_out)
    LOG.info("exported %d-term expression over bands %s", linear.meta.get("nonzero"), linear.bands)
