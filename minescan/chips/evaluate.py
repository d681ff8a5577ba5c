"""Train and evaluate the pixel models on the real Amazon chips, pixel and chip level."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.chips.load import (
    chip_features,
    geographic_split,
    load_chips,
    patch_table,
    pixel_table,
)
from minescan.pixelmodels.families import fit_classifier, positive_probability
from minescan.pixelmodels.linear import (
    LinearModel,
    PathResult,
    fit_lasso_path,
    fit_logistic_path,
)
from minescan.pixelmodels.metrics import best_f1_threshold, binary_metrics

LOG = logging.getLogger(__name__)


@dataclass
class ChipEvaluation:
    metrics: pd.DataFrame
    splits: pd.DataFrame
    lasso: PathResult
    logistic: PathResult
    deployed: LinearModel
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def _evaluate(rows: list, curves: dict, level: str, model: str, val: tuple, test: tuple) -> None:
    threshold = best_f1_threshold(*val)
    rows.append({"level": level, "model": model, **binary_metrics(*test, threshold)})
    curves[f"{level}: {model}"] = test


def _chip_means(score: np.ndarray, owner: np.ndarray, chips: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"owner": owner, "score": score})
    return frame.groupby("owner")["score"].mean().reindex(chips).to_numpy()


def evaluate_chips(
    folder: str | Path,
    *,
    block_deg: float,
    fractions: tuple[float, float, float],
    seed: int,
    pixels_per_chip: int,
    n_lambdas: int,
    tolerance: float,
    families: list[str],
    threads: int = 1,
) -> ChipEvaluation:
    chips = load_chips(folder)
    split = geographic_split(chips.meta, block_deg, fractions, seed)
    chips.meta["split"] = split
    summary = (
        chips.meta.groupby("split")
        .agg(chips=("chip_id", "size"), mine_chips=("mine", "sum"))
        .reset_index()
    )
    LOG.info("geographic split (%g degree blocks):\n%s", block_deg, summary.to_string())
    features = chip_features()
    names = [f.name for f in features]
    index = {s: np.flatnonzero(split == s) for s in ("train", "validation", "test")}
    Xtr, ytr, _ = pixel_table(chips, index["train"], features, pixels_per_chip, seed)
    Xva, yva, ova = pixel_table(chips, index["validation"], features, None, seed)
    Xte, yte, ote = pixel_table(chips, index["test"], features, None, seed)
    LOG.info("pixels: %d train (sampled), %d validation, %d test", len(ytr), len(yva), len(yte))

    lasso = fit_lasso_path(Xtr, ytr, Xva, yva, yva, names, n_lambdas=n_lambdas)
    logistic = fit_logistic_path(
        Xtr, ytr, Xva, yva, names, n_lambdas=max(5, n_lambdas // 2), seed=seed
    )
    models = {
        "lasso": lasso.model_at(lasso.select(tolerance), features, "identity", "mine"),
        "logistic_l1": logistic.model_at(logistic.select(tolerance), features, "logistic", "mine"),
    }
    rows: list[dict] = []
    curves: dict = {}
    chip_val = chips.meta["mine"].to_numpy()[index["validation"]]
    chip_test = chips.meta["mine"].to_numpy()[index["test"]]

    def score_linear(model: LinearModel, X: np.ndarray) -> np.ndarray:
        sparse_idx = [names.index(f.name) for f in model.sparse().features]
        return model.score_to_probability(
            X[:, sparse_idx].astype(np.float64) @ model.sparse().weights + model.intercept
        )

    predictions = {}
    for name, model in models.items():
        predictions[name] = (score_linear(model, Xva), score_linear(model, Xte))
        LOG.info("%s: %d non-zero weights", name, model.meta["nonzero"])
    for family in families:
        clf = fit_classifier(family, Xtr, ytr, seed, threads)
        predictions[family] = (
            positive_probability(clf, Xva, threads),
            positive_probability(clf, Xte, threads),
        )
    for name, (pva, pte) in predictions.items():
        _evaluate(rows, curves, "pixel", name, (yva, pva), (yte, pte))
        _evaluate(
            rows,
            curves,
            "chip (mean pixel probability)",
            name,
            (chip_val, _chip_means(pva, ova, index["validation"])),
            (chip_test, _chip_means(pte, ote, index["test"])),
        )
    # the chip as a patch: mean and spread of every feature
    Ptr, Pva, Pte = (
        patch_table(chips, index[s], features) for s in ("train", "validation", "test")
    )
    chip_train = chips.meta["mine"].to_numpy()[index["train"]]
    for family in families:
        clf = fit_classifier(family, Ptr, chip_train, seed, threads)
        _evaluate(
            rows,
            curves,
            "chip (patch features)",
            family,
            (chip_val, positive_probability(clf, Pva, threads)),
            (chip_test, positive_probability(clf, Pte, threads)),
        )
    metrics = pd.DataFrame(rows)
    LOG.info("chip evaluation:\n%s", metrics[["level", "model", "f1", "pr_auc"]].to_string())
    return ChipEvaluation(metrics, summary, lasso, logistic, models["logistic_l1"], curves)
