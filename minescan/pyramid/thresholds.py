"""A level's screening threshold, chosen on validation cells for a target recall of mine area.

Validation cells are the grid's positives and negatives at the level's zoom, imaged at the
level's pixel size and scored by its screen. The threshold for a target recall r is the highest
score that keeps at least r of the positives' mine area (each positive weighs its overlap
fraction), so a level misses at most 1 - r of the mine area its validation cells hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError


@dataclass(frozen=True)
class Choice:
    """One threshold and what it gives on the validation cells."""

    target_recall: float
    threshold: float
    area_recall: float
    cell_recall: float
    false_positive_rate: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def validation_table(cells: pd.DataFrame, scores: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """Label, mine weight and score of every validation cell that has a scored tile."""
    if statistic not in scores.columns:
        available = [c for c in scores.columns if c.endswith(("probability", "fraction"))]
        raise MinescanInputError(
            "config",
            f"pyramid.statistic {statistic!r} is not a screen score "
            f"(available: {', '.join(available)})",
            "choose one of the listed columns",
        )
    table = cells[["cell_id", "label", "overlap_fraction"]].merge(
        scores[["cell_id", statistic]], on="cell_id", how="inner"
    )
    table = table[np.isfinite(table[statistic].to_numpy(float))]
    return table.rename(columns={statistic: "score"}).reset_index(drop=True)


def choose_threshold(table: pd.DataFrame, target: float, source: str = "validation") -> Choice:
    """The highest threshold keeping at least ``target`` of the positives' mine area."""
    positive = table["label"].to_numpy() == "positive"
    if not positive.any():
        raise MinescanInputError(
            source,
            "no positive validation cell has a scored tile, so this level's screen threshold "
            "cannot be chosen",
            "check the tiles' status tables of the validation cells, or start the pyramid at a "
            "finer level",
        )
    score = table["score"].to_numpy(float)
    weight = table["overlap_fraction"].to_numpy(float)
    order = np.argsort(-score[positive], kind="stable")
    ranked, cumulative = score[positive][order], np.cumsum(weight[positive][order])
    need = float(target) * cumulative[-1]
    # first rank whose cumulative area reaches the target (with float slack at target 1)
    at = int(np.searchsorted(cumulative, need * (1 - 1e-12), side="left"))
    threshold = float(ranked[min(at, len(ranked) - 1)])
    return evaluate_threshold(table, threshold, target)


def evaluate_threshold(table: pd.DataFrame, threshold: float, target: float = np.nan) -> Choice:
    positive = table["label"].to_numpy() == "positive"
    kept = table["score"].to_numpy(float) >= threshold
    weight = table["overlap_fraction"].to_numpy(float)
    negatives = int((~positive).sum())
    return Choice(
        target_recall=float(target),
        threshold=threshold,
        area_recall=float(weight[positive & kept].sum() / max(weight[positive].sum(), 1e-300)),
        cell_recall=float((positive & kept).sum() / positive.sum()),
        false_positive_rate=float((~positive & kept).sum() / negatives) if negatives else np.nan,
    )


def choose_thresholds(
    table: pd.DataFrame, target: float, curve_targets: Sequence[float], source: str
) -> dict:
    """The threshold of ``target`` and of every target of the recall/compute curve."""
    chosen = choose_threshold(table, target, source)
    return {
        "target_recall": float(target),
        "threshold": chosen.threshold,
        "chosen": chosen.as_dict(),
        "curve": [choose_threshold(table, t, source).as_dict() for t in sorted(set(curve_targets))],
        "validation": {
            "positives": int((table["label"] == "positive").sum()),
            "negatives": int((table["label"] != "positive").sum()),
        },
    }
