"""Amazon Mining Watch's spatial prior: a dual threshold that asks more of isolated detections.

A detection (a scored patch or cell centre) is *isolated* when its ``neighbours``-th nearest
other detection (default the 5th) is farther than ``radius_m`` (default 3 km). Isolated
detections are kept only at ``isolated_threshold``; the others at the normal ``threshold``.
Neighbours are counted among the detections that pass the normal threshold, as Amazon Mining
Watch does, in one KD-tree query over projected metres.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from minescan.errors import MinescanInputError


@dataclass(frozen=True)
class SpatialPrior:
    enabled: bool = False
    isolated_threshold: float = 0.9
    neighbours: int = 5
    radius_m: float = 3000.0

    @classmethod
    def from_config(cls, values: Mapping[str, Any] | None) -> SpatialPrior:
        """From ``pyramid.spatial_prior`` (missing or ``enabled: false``: off)."""
        values = dict(values or {})
        unknown = set(values) - {"enabled", "isolated_threshold", "neighbours", "radius_m"}
        if unknown:
            raise MinescanInputError(
                "config",
                f"pyramid.spatial_prior has unknown keys {sorted(unknown)}",
                "use enabled, isolated_threshold, neighbours, radius_m",
            )
        prior = cls(**values)
        if prior.neighbours < 1 or prior.radius_m <= 0:
            raise MinescanInputError(
                "config",
                f"pyramid.spatial_prior: neighbours {prior.neighbours} and radius_m "
                f"{prior.radius_m} must be positive",
            )
        return prior


def isolated(xy: np.ndarray, neighbours: int = 5, radius_m: float = 3000.0) -> np.ndarray:
    """Whether each point's ``neighbours``-th nearest other point is over ``radius_m`` away
    (True for every point when there are not that many others)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(xy) <= neighbours:
        return np.ones(len(xy), dtype=bool)
    distance, _ = cKDTree(xy).query(xy, k=neighbours + 1)  # column 0 is the point itself
    return distance[:, neighbours] > radius_m


def apply_prior(
    xy: np.ndarray, score: np.ndarray, threshold: float, prior: SpatialPrior
) -> np.ndarray:
    """Kept detections: ``score >= threshold``, and ``>= prior.isolated_threshold`` where the
    detection is isolated among the others that pass ``threshold``. Off: the single threshold."""
    score = np.asarray(score, dtype=np.float64)
    passed = score >= threshold
    if not prior.enabled or not passed.any():
        return passed
    if prior.isolated_threshold < threshold:
        raise MinescanInputError(
            "config",
            f"pyramid.spatial_prior.isolated_threshold {prior.isolated_threshold} is below the "
            f"normal threshold {threshold}",
            "the isolated threshold must be the higher one",
        )
    candidates = np.flatnonzero(passed)
    alone = isolated(np.asarray(xy)[candidates], prior.neighbours, prior.radius_m)
    kept = passed.copy()
    kept[candidates[alone]] = score[candidates[alone]] >= prior.isolated_threshold
    return kept


def prior_columns(boxes, prior: SpatialPrior):
    """``isolated`` and ``kept_prior`` columns for the scan's detections (every box passed
    the detector's own threshold; an isolated one must also reach ``isolated_threshold``).
    Neighbours are looked for within each box's UTM zone (``crs`` column), in metres."""
    boxes = boxes.copy()
    boxes["isolated"] = False
    boxes["kept_prior"] = True
    if not prior.enabled or boxes.empty:
        return boxes
    for _, group in boxes.groupby("crs"):
        xy = np.column_stack(
            [(group["x_min"] + group["x_max"]) / 2, (group["y_min"] + group["y_max"]) / 2]
        )
        alone = isolated(xy, prior.neighbours, prior.radius_m)
        boxes.loc[group.index, "isolated"] = alone
        boxes.loc[group.index, "kept_prior"] = ~alone | (
            group["score"].to_numpy() >= prior.isolated_threshold
        )
    return boxes
