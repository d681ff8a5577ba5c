"""Spatial block cross-validation of every model family on the two clean chip tasks.

For each test fold, every model trains on the remaining folds but one and chooses what it
chooses (early-stopping epoch, lambda, decision threshold: best F1) on that validation fold.
Held-out scores of all folds are pooled into one prediction table, from which the metrics,
their block-bootstrap intervals and the per-category flag rates are computed.

Families, per task:
- presence: ``cnn_ensemble`` (patch CNN, mean of the seeded members) and ``cnn_single`` (its
  first member alone); ``patch_hist_gradient_boosting`` (the baseline: gradient boosting on
  the mean and spread of every band and normalized difference over the chip); pixel models
  (LASSO, L1-logistic and the ``models.families``) scored per pixel and averaged per chip.
- emergence: ``siamese_cnn_ensemble`` / ``siamese_cnn_single``, and gradient boosting on the
  patch features of t0, t1 and their difference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from minescan.chips.cnn import Ensemble, TrainSettings, fit_ensemble
from minescan.chips.folds import block_folds, fold_roles
from minescan.chips.load import Chips, chip_features, patch_table, pixel_table
from minescan.chips.metrics import flagged_rates, metrics_row
from minescan.chips.tasks import emergence_task, presence_task
from minescan.pixelmodels.families import fit_classifier, positive_probability
from minescan.pixelmodels.linear import fit_lasso_path, fit_logistic_path
from minescan.pixelmodels.metrics import best_f1_threshold
from minescan.pixelmodels.splits import spatial_blocks

LOG = logging.getLogger(__name__)
BASELINE = "patch_hist_gradient_boosting"


@dataclass(frozen=True)
class Settings:
    block_deg: float = 1.0
    folds: int = 5
    seed: int = 42
    members: int = 3
    cnn: TrainSettings = field(default_factory=TrainSettings)
    bootstrap: int = 200
    pixels_per_chip: int = 64
    n_lambdas: int = 20
    tolerance: float = 0.01
    pixel_families: tuple[str, ...] = ()
    pixel_models: bool = True
    learning_curve: tuple[float, ...] = ()
    threads: int = 1

    def member_seeds(self, salt: int) -> list[int]:
        return [self.seed * 1000 + salt * 10 + m for m in range(self.members)]


@dataclass
class ChipEvaluation:
    metrics: pd.DataFrame
    rates: pd.DataFrame
    predictions: pd.DataFrame
    folds: pd.DataFrame
    training: pd.DataFrame
    learning_curve: pd.DataFrame
    models: dict[str, Ensemble]


# A fitter gets (train, validation, scored) row positions of the task frame and returns
# model name -> (validation scores, scored rows' scores).
Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]


class TaskData:
    """A task's frame, its inputs for every family, and the CNN training records."""

    def __init__(self, task: str, chips: Chips, settings: Settings) -> None:
        self.task = task
        self.chips = chips
        self.settings = settings
        self.frame = presence_task(chips) if task == "presence" else emergence_task(chips)
        self.y = self.frame["y"].to_numpy()
        self.features = chip_features()
        self.training: list[dict] = []
        patches = patch_table(chips, np.arange(len(chips.meta)), self.features)
        if task == "presence":
            self.patches = patches[self.frame["chip"].to_numpy()]
        else:
            before = patches[self.frame["t0"].to_numpy()]
            after = patches[self.frame["t1"].to_numpy()]
            self.patches = np.concatenate([before, after, after - before], axis=1)

    def images(self, rows: np.ndarray) -> np.ndarray:
        if self.task == "presence":
            return self.chips.data[self.frame["chip"].to_numpy()[rows]]
        pairs = self.frame[["t0", "t1"]].to_numpy()[rows]
        return self.chips.data[pairs]

    def fitters(self, salt: int) -> list[Fitter]:
        fitters = [self.fit_cnn(salt), self.fit_patch_boosting]
        if self.task == "presence" and self.settings.pixel_models:
            fitters.append(self.fit_pixel_models)
        return fitters

    def fit_cnn(self, salt: int, name: str | None = None) -> Fitter:
        kind = "patch" if self.task == "presence" else "siamese"
        prefix = name or ("cnn" if kind == "patch" else "siamese_cnn")

        def fit(train, validation, scored):
            ensemble = fit_ensemble(
                kind,
                self.images(train),
                self.y[train],
                self.images(validation),
                self.y[validation],
                self.settings.cnn,
                self.settings.member_seeds(salt),
            )
            self.training += [{"task": self.task, "salt": salt, **r} for r in ensemble.info]
            val = ensemble.member_probabilities(self.images(validation))
            out = ensemble.member_probabilities(self.images(scored))
            return {
                f"{prefix}_ensemble": (val.mean(axis=0), out.mean(axis=0)),
                f"{prefix}_single": (val[0], out[0]),
            }

        return fit

    def fit_patch_boosting(self, train, validation, scored):
        clf = fit_classifier(
            "hist_gradient_boosting",
            self.patches[train],
            self.y[train],
            self.settings.seed,
            self.settings.threads,
        )
        return {
            BASELINE: (
                positive_probability(clf, self.patches[validation], self.settings.threads),
                positive_probability(clf, self.patches[scored], self.settings.threads),
            )
        }

    def fit_pixel_models(self, train, validation, scored):
        """Pixel models trained on chip labels, chip score = mean pixel probability."""
        s = self.settings
        chip_of = self.frame["chip"].to_numpy()
        per_chip = s.pixels_per_chip
        Xtr, ytr, _ = pixel_table(self.chips, chip_of[train], self.features, per_chip, s.seed)
        Xva, yva, ova = pixel_table(
            self.chips, chip_of[validation], self.features, 4 * per_chip, s.seed
        )
        Xsc, _, osc = pixel_table(self.chips, chip_of[scored], self.features, 4 * per_chip, s.seed)
        names = [f.name for f in self.features]
        lasso = fit_lasso_path(Xtr, ytr, Xva, yva, yva, names, n_lambdas=s.n_lambdas)
        logistic = fit_logistic_path(Xtr, ytr, Xva, yva, names, n_lambdas=s.n_lambdas, seed=s.seed)
        pixel_scores = {}
        for name, path, link in (
            (("lasso", lasso, "identity")),
            ("logistic_l1", logistic, "logistic"),
        ):
            model = path.model_at(path.select(s.tolerance), self.features, link, "mine")
            pixel_scores[f"pixel_{name}"] = (
                model.score_to_probability(
                    Xva.astype(np.float64) @ model.weights + model.intercept
                ),
                model.score_to_probability(
                    Xsc.astype(np.float64) @ model.weights + model.intercept
                ),
            )
        for family in s.pixel_families:
            clf = fit_classifier(family, Xtr, ytr, s.seed, s.threads)
            pixel_scores[f"pixel_{family}"] = (
                positive_probability(clf, Xva, s.threads),
                positive_probability(clf, Xsc, s.threads),
            )

        def chip_mean(score, owner, chips):
            return pd.Series(score).groupby(owner).mean().reindex(chips).to_numpy()

        return {
            name: (chip_mean(v, ova, chip_of[validation]), chip_mean(t, osc, chip_of[scored]))
            for name, (v, t) in pixel_scores.items()
        }


def cross_validate(
    data: TaskData, folds: np.ndarray, fitters: list[Fitter], train_fraction: float = 1.0
) -> pd.DataFrame:
    """Held-out predictions of every fitter's models over all folds."""
    k = int(folds.max()) + 1
    labelled = np.isfinite(data.y)
    rows = []
    rng = np.random.default_rng(data.settings.seed)
    for fold in range(k):
        roles = fold_roles(folds, fold, k)
        train = roles["train"][labelled[roles["train"]]]
        validation = roles["validation"][labelled[roles["validation"]]]
        if train_fraction < 1.0:
            train = np.sort(rng.choice(train, max(8, int(train_fraction * len(train))), False))
        scored = roles["test"]
        LOG.info(
            "%s fold %d/%d: %d train, %d validation, %d test rows",
            data.task,
            fold + 1,
            k,
            len(train),
            len(validation),
            len(scored),
        )
        for fitter in fitters:
            for model, (val_score, test_score) in fitter(train, validation, scored).items():
                threshold = best_f1_threshold(data.y[validation], val_score)
                rows.append(
                    pd.DataFrame(
                        {
                            "row": scored,
                            "model": model,
                            "fold": fold,
                            "score": test_score,
                            "threshold": threshold,
                            "decision": test_score >= threshold,
                        }
                    )
                )
    predictions = pd.concat(rows, ignore_index=True)
    return predictions.join(
        data.frame.drop(columns=["chip", "t0", "t1"], errors="ignore"), on="row"
    )


def summarise(
    task: str, predictions: pd.DataFrame, block_deg: float, n_boot: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics (with intervals) and flag rates per model of one task's predictions."""
    metrics, rates = [], []
    for model, part in predictions.groupby("model", sort=False):
        labelled = part[part["y"].notna()]
        blocks = spatial_blocks(labelled["longitude"], labelled["latitude"], block_deg)
        row = metrics_row(
            labelled["y"].to_numpy(),
            labelled["score"].to_numpy(),
            labelled["decision"].to_numpy(),
            blocks,
            n_boot,
            seed,
        )
        metrics.append({"task": task, "model": model, "threshold": part["threshold"].mean(), **row})
        negatives = part[part["y"] == 0].assign(group=lambda t: "negative: " + t["category"])
        groups = [negatives]
        if "role" in part:
            groups.append(part[part["role"] == "before"].assign(group="before (t0 of mine pairs)"))
        groups.append(part[part["y"] == 1].assign(group="positive"))
        table = flagged_rates(pd.concat(groups), "group")
        rates.append(table.assign(task=task, model=model))
    columns = ["task", "model", "group", "n", "flagged", "rate"]
    return pd.DataFrame(metrics), pd.concat(rates, ignore_index=True)[columns]


def fit_final(data: TaskData, folds: np.ndarray) -> Ensemble:
    """The CNN ensemble for scoring new chips: trained on every fold but the first, which
    early-stops it and sets its threshold (best F1)."""
    kind = "patch" if data.task == "presence" else "siamese"
    labelled = np.isfinite(data.y)
    validation = np.flatnonzero((folds == 0) & labelled)
    train = np.flatnonzero((folds != 0) & labelled)
    ensemble = fit_ensemble(
        kind,
        data.images(train),
        data.y[train],
        data.images(validation),
        data.y[validation],
        data.settings.cnn,
        data.settings.member_seeds(99),
    )
    ensemble.threshold = best_f1_threshold(
        data.y[validation], ensemble.probability(data.images(validation))
    )
    data.training += [{"task": data.task, "salt": "final", **r} for r in ensemble.info]
    return ensemble


def evaluate_chips(chips: Chips, settings: Settings) -> ChipEvaluation:
    predictions, metrics, rates, fold_tables, curves, models = [], [], [], [], [], {}
    training = []
    for task in ("presence", "emergence"):
        data = TaskData(task, chips, settings)
        folds = block_folds(data.frame, settings.block_deg, settings.folds, settings.seed)
        fold_tables.append(
            pd.DataFrame({"task": task, "fold": folds, "y": data.y})
            .groupby(["task", "fold"])
            .agg(
                rows=("y", "size"),
                positives=("y", "sum"),
                unlabelled=("y", lambda v: v.isna().sum()),
            )
            .reset_index()
        )
        table = cross_validate(data, folds, data.fitters(salt=1))
        table.insert(0, "task", task)
        m, r = summarise(task, table, settings.block_deg, settings.bootstrap, settings.seed)
        predictions.append(table)
        metrics.append(m)
        rates.append(r)
        LOG.info(
            "%s, held-out blocks:\n%s",
            task,
            m[
                [
                    "model",
                    "pr_auc",
                    "pr_auc_lo",
                    "pr_auc_hi",
                    "roc_auc",
                    "f1",
                    "sensitivity_at_specificity_0.99",
                ]
            ].to_string()
            if settings.bootstrap
            else m[["model", "pr_auc", "roc_auc", "f1"]].to_string(),
        )
        for fraction in settings.learning_curve:
            partial = cross_validate(
                data, folds, [data.fit_cnn(salt=2), data.fit_patch_boosting], fraction
            )
            partial.insert(0, "task", task)
            m_part, _ = summarise(task, partial, settings.block_deg, 0, settings.seed)
            curves.append(m_part.assign(train_fraction=fraction))
        full = m[m["model"].str.contains("ensemble") | (m["model"] == BASELINE)]
        curves.append(full.assign(train_fraction=1.0))
        models[task] = fit_final(data, folds)
        training += data.training
    curve_columns = ["task", "model", "train_fraction", "n", "pr_auc", "roc_auc", "f1"]
    return ChipEvaluation(
        pd.concat(metrics, ignore_index=True),
        pd.concat(rates, ignore_index=True),
        pd.concat(predictions, ignore_index=True),
        pd.concat(fold_tables, ignore_index=True),
        pd.DataFrame(training),
        pd.concat(curves, ignore_index=True)[curve_columns],
        models,
    )
