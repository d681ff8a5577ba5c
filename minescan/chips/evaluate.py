"""Spatial block cross-validation and region-out evaluation of every model family on the two
clean chip tasks.

For each test fold (a block fold, or a held-out region), every model trains on the remaining
folds but one and chooses what it chooses (early-stopping epoch, lambda, decision threshold:
best F1, and the threshold for specificity 0.99) on that validation fold (``crossval``).
Held-out scores of all folds are pooled into one prediction table per scheme, from which the
metrics, their block-bootstrap intervals and the per-category flag rates are computed.

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
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from minescan.chips.cnn import Ensemble, TrainSettings, fit_ensemble
from minescan.chips.crossval import (
    TARGET_SPECIFICITY,
    Fitter,
    Scheme,
    cross_validate,
    summarise,
)
from minescan.chips.folds import RegionOut, block_folds, region_edges, region_folds
from minescan.chips.load import Chips, chip_features, patch_table, pixel_table
from minescan.chips.metrics import specificity_threshold
from minescan.chips.tasks import emergence_task, presence_task
from minescan.pixelmodels.families import fit_classifier, positive_probability
from minescan.pixelmodels.linear import fit_lasso_path, fit_logistic_path
from minescan.pixelmodels.metrics import best_f1_threshold

__all__ = ["ChipEvaluation", "Settings", "TaskData", "evaluate_chips", "summarise"]

LOG = logging.getLogger(__name__)
BASELINE = "patch_hist_gradient_boosting"
LOGGED = [
    "model",
    "pr_auc",
    "pr_auc_lo",
    "pr_auc_hi",
    "roc_auc",
    "f1",
    "sensitivity_at_specificity_0.99",
    "sensitivity_at_validation_threshold_0.99",
    "specificity_at_validation_threshold_0.99",
]
CURVE_COLUMNS = [
    "task",
    "scheme",
    "model",
    "train_fraction",
    "n",
    "pr_auc",
    "roc_auc",
    "f1",
    "sensitivity_at_specificity_0.99",
    "sensitivity_at_validation_threshold_0.99",
]


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
    region_out: RegionOut | None = None  # None: spatial block CV only
    pair_kind: str = "siamese"  # emergence network: "siamese" or "fused"
    # radiometric augmentation of the emergence network (None: as cnn.augment); apart because
    # measured region-out it helps presence and hurts emergence (two dates drawn apart blur
    # the brightness change that a new mine is)
    pair_augment: tuple[str, ...] | None = None
    clean_labels: bool = False  # train on chips whose label the polygons confirm
    variants: bool = False  # also score sub-ensembles and test-time augmentation
    tasks: tuple[str, ...] = ("presence", "emergence")
    spatial_cv: bool = True  # False: region-out only (recipe tries)
    final: bool = True  # False: no model for scoring (recipe tries)

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


class TaskData:
    """A task's frame, its inputs for every family, and the CNN training records."""

    def __init__(
        self, task: str, chips: Chips, settings: Settings, centre_inside: np.ndarray | None = None
    ) -> None:
        self.task = task
        self.chips = chips
        self.settings = settings
        self.frame = presence_task(chips) if task == "presence" else emergence_task(chips)
        self.y = self.frame["y"].to_numpy()
        self.kind = "patch" if task == "presence" else settings.pair_kind
        self.cnn = settings.cnn
        if task != "presence" and settings.pair_augment is not None:
            self.cnn = replace(settings.cnn, augment=tuple(settings.pair_augment))
        # clean labels: rows whose chip label the polygons confirm (the t1 chip's centre
        # inside a mapped mine for a mine, outside for a non-mine); scoring stays on chip labels
        self.clean = None
        if settings.clean_labels and centre_inside is not None:
            chip = self.frame["chip" if task == "presence" else "t1"].to_numpy()
            self.clean = centre_inside[chip] == (self.y > 0.5)
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
        kind = self.kind
        prefix = name or ("cnn" if kind == "patch" else "siamese_cnn")

        def fit(train, validation, scored):
            ensemble = fit_ensemble(
                kind,
                self.images(train),
                self.y[train],
                self.images(validation),
                self.y[validation],
                self.cnn,
                self.settings.member_seeds(salt),
            )
            self.training += [{"task": self.task, "salt": salt, **r} for r in ensemble.info]
            val = ensemble.member_probabilities(self.images(validation))
            out = ensemble.member_probabilities(self.images(scored))
            models = {
                f"{prefix}_ensemble": (val.mean(axis=0), out.mean(axis=0)),
                f"{prefix}_single": (val[0], out[0]),
            }
            if self.settings.variants:
                models.update(self.variants(prefix, ensemble, val, out, validation, scored))
            return models

        return fit

    def variants(self, prefix, ensemble, val, out, validation, scored):
        """The same trained members as smaller ensembles and with the other test-time
        augmentation setting: what ensemble size and TTA add, at no extra training."""
        models = {}
        for size in (2, 3):
            if size < len(ensemble.members):
                models[f"{prefix}_ensemble_{size}"] = (
                    val[:size].mean(axis=0),
                    out[:size].mean(axis=0),
                )
        ensemble.tta = not ensemble.tta
        tag = "tta" if ensemble.tta else "no_tta"
        v = ensemble.member_probabilities(self.images(validation))
        o = ensemble.member_probabilities(self.images(scored))
        ensemble.tta = not ensemble.tta
        models[f"{prefix}_ensemble_{tag}"] = (v.mean(axis=0), o.mean(axis=0))
        models[f"{prefix}_single_{tag}"] = (v[0], o[0])
        return models

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


def fit_final(data: TaskData, scheme: Scheme) -> Ensemble:
    """The CNN ensemble for scoring new chips: trained on every fold (region, with
    region-out) but the first, which early-stops it and sets its thresholds (best F1, and
    specificity 0.99)."""
    labelled = np.isfinite(data.y)
    validation = np.flatnonzero((scheme.folds == 0) & labelled)
    train = np.flatnonzero((scheme.folds != 0) & labelled)
    if data.clean is not None:
        train = train[data.clean[train]]
    ensemble = fit_ensemble(
        data.kind,
        data.images(train),
        data.y[train],
        data.images(validation),
        data.y[validation],
        data.cnn,
        data.settings.member_seeds(99),
    )
    score = ensemble.probability(data.images(validation))
    ensemble.threshold = best_f1_threshold(data.y[validation], score)
    ensemble.threshold_specificity = specificity_threshold(
        data.y[validation], score, TARGET_SPECIFICITY
    )
    data.training += [{"task": data.task, "salt": "final", **r} for r in ensemble.info]
    return ensemble


def schemes(data: TaskData, settings: Settings, edges: np.ndarray | None) -> list[Scheme]:
    """Spatial block CV, and region-out when configured (region edges shared by the tasks)."""
    out = []
    if settings.spatial_cv or settings.region_out is None:
        folds = block_folds(data.frame, settings.block_deg, settings.folds, settings.seed)
        out.append(Scheme("spatial_cv", folds))
    if settings.region_out is not None:
        folds, _ = region_folds(data.frame, settings.region_out, edges)
        axis = settings.region_out.axis
        out.append(
            Scheme("region_out", folds, data.frame[axis].to_numpy(), settings.region_out.buffer_deg)
        )
    return out


def fold_table(task: str, scheme: Scheme, data: TaskData) -> pd.DataFrame:
    return (
        pd.DataFrame(
            {
                "task": task,
                "scheme": scheme.name,
                "fold": scheme.folds,
                "y": data.y,
                "longitude": data.frame["longitude"].to_numpy(),
                "latitude": data.frame["latitude"].to_numpy(),
            }
        )
        .groupby(["task", "scheme", "fold"])
        .agg(
            rows=("y", "size"),
            positives=("y", "sum"),
            unlabelled=("y", lambda v: v.isna().sum()),
            west=("longitude", "min"),
            east=("longitude", "max"),
            south=("latitude", "min"),
            north=("latitude", "max"),
        )
        .reset_index()
    )


def evaluate_chips(
    chips: Chips, settings: Settings, centre_inside: np.ndarray | None = None
) -> ChipEvaluation:
    """Both tasks under every scheme; ``centre_inside`` (per chip, whether its centre lies in
    a mapped mine) is needed for ``clean_labels``."""
    predictions, metrics, rates, fold_tables, curves, models = [], [], [], [], [], {}
    training = []
    edges = None
    if settings.region_out is not None:
        places = chips.meta.drop_duplicates("sample_id")[settings.region_out.axis].to_numpy()
        edges = region_edges(places, settings.region_out.regions)
    for task in settings.tasks:
        data = TaskData(task, chips, settings, centre_inside)
        task_schemes = schemes(data, settings, edges)
        for scheme in task_schemes:
            fold_tables.append(fold_table(task, scheme, data))
            table = cross_validate(
                task,
                data.y,
                data.frame,
                scheme,
                data.fitters(salt=1),
                settings.seed,
                train_keep=data.clean,
            )
            table.insert(0, "task", task)
            m, r = summarise(task, table, settings.block_deg, settings.bootstrap, settings.seed)
            predictions.append(table)
            metrics.append(m)
            rates.append(r)
            LOG.info("%s, %s:\n%s", task, scheme.name, m[[c for c in LOGGED if c in m]].to_string())
        # the learning curve under the scheme models are chosen by (region-out when there)
        chosen = task_schemes[-1]
        for fraction in settings.learning_curve:
            partial = cross_validate(
                task,
                data.y,
                data.frame,
                chosen,
                [data.fit_cnn(salt=2), data.fit_patch_boosting],
                settings.seed,
                fraction,
                data.clean,
            )
            partial.insert(0, "task", task)
            m_part, _ = summarise(task, partial, settings.block_deg, 0, settings.seed)
            curves.append(m_part.assign(train_fraction=fraction))
        full = metrics[-1]
        full = full[full["model"].str.endswith("_ensemble") | (full["model"] == BASELINE)]
        curves.append(full.assign(train_fraction=1.0))
        if settings.final:
            models[task] = fit_final(data, chosen)
        training += data.training
    return ChipEvaluation(
        pd.concat(metrics, ignore_index=True),
        pd.concat(rates, ignore_index=True),
        pd.concat(predictions, ignore_index=True),
        pd.concat(fold_tables, ignore_index=True),
        pd.DataFrame(training),
        pd.concat(curves, ignore_index=True).reindex(columns=CURVE_COLUMNS),
        models,
    )
