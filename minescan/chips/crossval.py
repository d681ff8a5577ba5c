"""Held-out predictions of fitted models over the folds of one scheme, and their figures.

A scheme is the folds and the roles of each test fold: ``spatial_cv`` (blocks of
``block_deg`` degrees, ``minescan.chips.folds.block_folds``) or ``region_out`` (bands of
longitude held out in turn, with a buffer; ``region_folds``). Every model trains on the
training rows of a test fold and chooses what it chooses (early-stopping epoch, lambda, the
decision threshold at best F1 and the threshold for specificity 0.99) on its validation rows;
the held-out scores of all test folds are pooled into one prediction table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from minescan.chips.folds import fold_roles, region_roles
from minescan.chips.metrics import (
    flagged_rates,
    metrics_row,
    operating_point,
    specificity_threshold,
)
from minescan.pixelmodels.metrics import best_f1_threshold
from minescan.pixelmodels.splits import spatial_blocks

LOG = logging.getLogger(__name__)
SCHEMES = ("spatial_cv", "region_out")
TARGET_SPECIFICITY = 0.99  # Amazon Mining Watch's operating point (0.994 on its holdout)

# A fitter gets (train, validation, scored) row positions of the task frame and returns
# model name -> (validation scores, scored rows' scores).
Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]


@dataclass
class Scheme:
    name: str
    folds: np.ndarray  # fold (block fold or region) per row of the task frame
    coordinates: np.ndarray | None = None  # along the region axis (region_out)
    buffer_deg: float = 0.0

    @property
    def k(self) -> int:
        return int(self.folds.max()) + 1

    def roles(self, test_fold: int) -> dict[str, np.ndarray]:
        if self.name == "region_out":
            return region_roles(self.folds, self.coordinates, test_fold, self.k, self.buffer_deg)
        return fold_roles(self.folds, test_fold, self.k)


def cross_validate(
    task: str,
    y: np.ndarray,
    frame: pd.DataFrame,
    scheme: Scheme,
    fitters: list[Fitter],
    seed: int,
    train_fraction: float = 1.0,
    train_keep: np.ndarray | None = None,
) -> pd.DataFrame:
    """Held-out predictions of every fitter's models over all folds of ``scheme``;
    ``train_keep`` (a mask per row) restricts the training rows (e.g. to clean labels)."""
    labelled = np.isfinite(y)
    rows = []
    rng = np.random.default_rng(seed)
    for fold in range(scheme.k):
        roles = scheme.roles(fold)
        train = roles["train"][labelled[roles["train"]]]
        if train_keep is not None:
            train = train[train_keep[train]]
        validation = roles["validation"][labelled[roles["validation"]]]
        if train_fraction < 1.0:
            train = np.sort(rng.choice(train, max(8, int(train_fraction * len(train))), False))
        scored = roles["test"]
        LOG.info(
            "%s %s fold %d/%d: %d train, %d validation, %d test rows",
            task,
            scheme.name,
            fold + 1,
            scheme.k,
            len(train),
            len(validation),
            len(scored),
        )
        for fitter in fitters:
            for model, (val_score, test_score) in fitter(train, validation, scored).items():
                threshold = best_f1_threshold(y[validation], val_score)
                at_spec = specificity_threshold(y[validation], val_score, TARGET_SPECIFICITY)
                rows.append(
                    pd.DataFrame(
                        {
                            "row": scored,
                            "model": model,
                            "scheme": scheme.name,
                            "fold": fold,
                            "score": test_score,
                            "threshold": threshold,
                            "decision": test_score >= threshold,
                            "threshold_specificity": at_spec,
                            "decision_specificity": test_score >= at_spec,
                        }
                    )
                )
    predictions = pd.concat(rows, ignore_index=True)
    return predictions.join(frame.drop(columns=["chip", "t0", "t1"], errors="ignore"), on="row")


def summarise(
    task: str, predictions: pd.DataFrame, block_deg: float, n_boot: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics (with intervals) and flag rates per scheme and model of one task's
    predictions."""
    metrics, rates = [], []
    keys = ["scheme", "model"] if "scheme" in predictions else ["model"]
    for key, part in predictions.groupby(keys, sort=False):
        names = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        labelled = part[part["y"].notna()]
        if "place" in labelled:
            blocks = labelled["place"].to_numpy()
        else:
            blocks = spatial_blocks(labelled["longitude"], labelled["latitude"], block_deg)
        row = metrics_row(
            labelled["y"].to_numpy(),
            labelled["score"].to_numpy(),
            labelled["decision"].to_numpy(),
            blocks,
            n_boot,
            seed,
        )
        if "decision_specificity" in labelled:
            row.update(
                operating_point(
                    labelled["y"].to_numpy(),
                    labelled["decision_specificity"].to_numpy(),
                    TARGET_SPECIFICITY,
                )
            )
        if "decision_specificity_0.998" in labelled:
            y, decided = labelled["y"].to_numpy(), labelled["decision_specificity_0.998"]
            row.update(operating_point(y, decided.to_numpy(), 0.998))
        metrics.append({"task": task, **names, "threshold": part["threshold"].mean(), **row})
        negatives = part[part["y"] == 0].assign(group=lambda t: "negative: " + t["category"])
        groups = [negatives]
        if "role" in part:
            groups.append(part[part["role"] == "before"].assign(group="before (t0 of mine pairs)"))
        groups.append(part[part["y"] == 1].assign(group="positive"))
        table = flagged_rates(pd.concat(groups), "group")
        rates.append(table.assign(task=task, **names))
    columns = ["task", *keys, "group", "n", "flagged", "rate"]
    return pd.DataFrame(metrics), pd.concat(rates, ignore_index=True)[columns]
