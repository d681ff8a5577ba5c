"""Learning curve of a segmenter: is it data or the model that limits the footprints?

The segmenter of ``footprints_train`` is retrained, with the same recipe, validation tiles
and held-out test tiles, on a share of its training tiles (whole spatial groups drawn with the
seed, so that a share is a smaller region, not thinner sampling of the same places), and each
model is scored on the test tiles and on the tiles it trained on. Test IoU that rises with
the share says more labelled tiles would help; training IoU that stays low at every share says
the model (or the labels) stops it first. The full share is the trained model itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from minescan.footprints.assess import assess
from minescan.outputs import write_csv, write_json

LOG = logging.getLogger(__name__)


def subsample_roles(table: pd.DataFrame, role: pd.Series, share: float, seed: int) -> pd.Series:
    """``role`` with only ``share`` of the training tiles' spatial groups left ``train`` (at
    least one group, drawn with ``seed``); the others' tiles get no role."""
    groups = np.array(sorted(table.loc[role == "train", "group"].unique()))
    count = max(1, int(round(share * len(groups))))
    kept = np.random.default_rng(seed).choice(groups, size=count, replace=False)
    out = role.copy()
    out[(role == "train") & ~table["group"].isin(kept)] = None
    return out


def curve_point(segmenter, table: pd.DataFrame, role: pd.Series, share: float, options) -> dict:
    """Test and training-tile scores of one model (no mine-free scenes: the curve is about
    what the model learns from labelled tiles)."""
    options = {**options, "background": None}  # labelled tiles only
    test = assess(segmenter, table[role == "test"], **options).metrics
    train = assess(segmenter, table[role == "train"], **options).metrics
    return {
        "share": share,
        "train_tiles": int((role == "train").sum()),
        "test_tiles": int(test["tiles"]),
        "test_iou": test["iou"],
        "test_object_recall": test["object_recall"],
        "test_area_error": test["total_relative_area_error"],
        "train_iou": train["iou"],
        "train_object_recall": train["object_recall"],
        "threshold": float(segmenter.threshold),
    }


def learning_curve(
    *,
    model: str,
    table: str,
    shares: Sequence[float],
    channels: Sequence[str],
    percentiles: Sequence[float],
    options: Mapping[str, Any],
    assess_options: Mapping[str, Any],
    seed: int,
    table_out: str,
    summary_out: str,
    plot_out: str,
    provenance: dict,
) -> pd.DataFrame:
    """Rule footprints_learning_curve: one row per share of the training tiles."""
    from minescan.footprints.model import load_segmenter
    from minescan.footprints.plots import plot_learning_curve
    from minescan.footprints.steps import fit

    tiles = pd.read_csv(table)
    role = tiles["role"]
    rows = []
    for share in sorted(float(s) for s in shares if 0 < float(s) < 1):
        part = subsample_roles(tiles, role, share, seed)
        LOG.info("share %.2f: %d of %d training tiles", share, (part == "train").sum(), len(tiles))
        segmenter, _, _ = fit(
            tiles, part, channels=channels, percentiles=percentiles, options=options
        )
        rows.append(curve_point(segmenter, tiles, part, share, assess_options))
    rows.append(curve_point(load_segmenter(model, channels), tiles, role, 1.0, assess_options))
    curve = pd.DataFrame(rows)
    write_csv(curve, table_out)
    write_json({"points": rows}, summary_out, provenance)
    plot_learning_curve(curve, plot_out)
    LOG.info("learning curve:\n%s", curve.to_string(index=False))
    return curve
