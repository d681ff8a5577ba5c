"""Weak pixel labels of the chips from yearly mining polygons: their agreement with the chip
labels (the label noise of the chip tasks) and pixel models retrained on them.

Agreement: per chip the share of its pixels inside a polygon and whether its centre is; per
role (mine, not mine, before) and category how often polygons and chip labels agree, with
Cohen's kappa on the presence task. Pixel models: LASSO and L1-logistic paths and the
``models.families`` on the polygon labels of the chips' pixels, on a geographic split (whole
blocks of degrees; ``4 * pixels_per_chip`` pixels drawn per validation and test chip), scored
per pixel against the polygons and per chip (mean probability) against the chip labels of the
presence task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from minescan.chips.georef import PolygonLabeller, window_year
from minescan.chips.load import CHIP_BANDS, Chips, chip_features, geographic_split, pixel_table
from minescan.chips.tasks import presence_task
from minescan.pixelmodels.families import fit_classifier, positive_probability
from minescan.pixelmodels.linear import LinearModel, PathResult, fit_lasso_path, fit_logistic_path
from minescan.pixelmodels.metrics import best_f1_threshold, binary_metrics

LOG = logging.getLogger(__name__)


@dataclass
class WeakLabels:
    mine: np.ndarray  # (n chips, h, w) uint8
    distance: np.ndarray  # (n chips, h, w) float32, signed metres


@dataclass
class WeakEvaluation:
    chips: pd.DataFrame  # one row per chip: polygon fraction, centre inside, role
    agreement: pd.DataFrame
    metrics: pd.DataFrame
    lasso: PathResult
    deployed: LinearModel
    tolerance: float


def label_chips(chips: Chips, labeller: PolygonLabeller) -> WeakLabels:
    shape = chips.data.shape[1:3]
    mine = np.zeros((len(chips.meta), *shape), dtype=np.uint8)
    distance = np.zeros((len(chips.meta), *shape), dtype=np.float32)
    for i, row in enumerate(chips.meta.itertuples()):
        year = window_year(row.window_end, row.chip_id)
        mine[i], distance[i] = labeller.label(row.longitude, row.latitude, year, shape)
        if (i + 1) % 250 == 0:
            LOG.info("  labelled %d/%d chips", i + 1, len(chips.meta))
    return WeakLabels(mine, distance)


def pixel_frame(chips: Chips, labels: WeakLabels) -> pd.DataFrame:
    """The chips' pixels as the pixel stage's table: chip, row, col, bands, distance, mine."""
    n, h, w = labels.mine.shape
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    frame = pd.DataFrame(
        {
            "chip_id": np.repeat(chips.meta["chip_id"].to_numpy(), h * w),
            "row": np.tile(rows.ravel(), n).astype(np.int32),
            "col": np.tile(cols.ravel(), n).astype(np.int32),
        }
    )
    bands = chips.data.reshape(n * h * w, -1)
    for k, band in enumerate(CHIP_BANDS):
        frame[band] = np.clip(bands[:, k], 0, 65535).astype(np.uint16)
    frame["distance_m"] = labels.distance.ravel()
    frame["mine"] = labels.mine.ravel()
    frame["valid"] = np.repeat(chips.meta["valid"].to_numpy(), h * w)
    return frame


def agreement(chips: Chips, labels: WeakLabels) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per chip polygon coverage, and its agreement with the chip labels per role/category."""
    n, h, w = labels.mine.shape
    task = presence_task(chips).set_index("chip")
    per_chip = chips.meta[["chip_id", "sample_id", "time", "category", "valid"]].copy()
    per_chip["role"] = task["role"].reindex(np.arange(n)).fillna("no data").to_numpy()
    per_chip["polygon_fraction"] = labels.mine.reshape(n, -1).mean(axis=1)
    per_chip["centre_inside"] = labels.mine[:, h // 2, w // 2].astype(bool)
    per_chip["centre_distance_m"] = labels.distance[:, h // 2, w // 2]
    groups = per_chip.groupby(["role", "category", "time"], sort=True)
    table = groups.agg(
        chips=("chip_id", "size"),
        any_polygon=("polygon_fraction", lambda v: float((v > 0).mean())),
        centre_inside=("centre_inside", "mean"),
        mean_polygon_fraction=("polygon_fraction", "mean"),
    ).reset_index()
    labelled = per_chip[per_chip["role"].isin(["positive", "negative"])]
    truth = (labelled["role"] == "positive").to_numpy()
    polygon = labelled["centre_inside"].to_numpy()
    summary = pd.DataFrame(
        [
            {
                "role": "presence task (positive vs negative)",
                "category": "all",
                "time": "t0+t1",
                "chips": len(labelled),
                "any_polygon": float((labelled["polygon_fraction"] > 0).mean()),
                "centre_inside": float(polygon.mean()),
                "mean_polygon_fraction": float(labelled["polygon_fraction"].mean()),
                "agreement": float((truth == polygon).mean()),
                "cohen_kappa": float(cohen_kappa_score(truth, polygon)),
            }
        ]
    )
    table = pd.concat([table, summary], ignore_index=True)
    LOG.info("chip labels against polygon centres:\n%s", table.to_string())
    return per_chip, table


def evaluate_weak_labels(
    chips: Chips,
    labels: WeakLabels,
    *,
    block_deg: float,
    fractions: tuple[float, float, float],
    seed: int,
    pixels_per_chip: int,
    n_lambdas: int,
    tolerance: float,
    families: list[str],
    threads: int = 1,
) -> WeakEvaluation:
    per_chip, table = agreement(chips, labels)
    valid = np.flatnonzero(chips.meta["valid"].to_numpy())
    split = geographic_split(chips.meta, block_deg, fractions, seed)
    index = {s: valid[split[valid] == s] for s in ("train", "validation", "test")}
    features = chip_features()
    names = [f.name for f in features]
    Xtr, ytr, _ = pixel_table(chips, index["train"], features, pixels_per_chip, seed, labels.mine)
    scored = min(4 * pixels_per_chip, chips.data.shape[1] * chips.data.shape[2])
    Xva, yva, ova = pixel_table(chips, index["validation"], features, scored, seed, labels.mine)
    Xte, yte, ote = pixel_table(chips, index["test"], features, scored, seed, labels.mine)
    LOG.info(
        "polygon-labelled pixels: %d train (%.1f %% mine), %d validation, %d test",
        len(ytr),
        100 * ytr.mean(),
        len(yva),
        len(yte),
    )
    lasso = fit_lasso_path(Xtr, ytr, Xva, yva, yva, names, n_lambdas=n_lambdas)
    logistic = fit_logistic_path(
        Xtr, ytr, Xva, yva, names, n_lambdas=max(5, n_lambdas // 2), seed=seed
    )
    models = {
        "lasso": lasso.model_at(lasso.select(tolerance), features, "identity", "mine"),
        "logistic_l1": logistic.model_at(logistic.select(tolerance), features, "logistic", "mine"),
    }
    scores = {
        name: (
            model.score_to_probability(Xva.astype(np.float64) @ model.weights + model.intercept),
            model.score_to_probability(Xte.astype(np.float64) @ model.weights + model.intercept),
        )
        for name, model in models.items()
    }
    for family in families:
        clf = fit_classifier(family, Xtr, ytr, seed, threads)
        scores[family] = (
            positive_probability(clf, Xva, threads),
            positive_probability(clf, Xte, threads),
        )
    task = presence_task(chips).set_index("chip")
    truth = {s: task["y"].reindex(index[s]).to_numpy() for s in ("validation", "test")}
    owners = {"validation": ova, "test": ote}
    rows = []
    for name, (val, test) in scores.items():
        rows.append(
            {
                "level": "pixel vs polygons",
                "model": name,
                **binary_metrics(yte, test, best_f1_threshold(yva, val)),
            }
        )
        chip = {
            s: pd.Series(v).groupby(owners[s]).mean().reindex(index[s]).to_numpy()
            for s, v in (("validation", val), ("test", test))
        }
        known = {s: np.isfinite(truth[s]) for s in chip}
        threshold = best_f1_threshold(
            truth["validation"][known["validation"]], chip["validation"][known["validation"]]
        )
        rows.append(
            {
                "level": "chip (mean pixel probability) vs chip labels",
                "model": name,
                **binary_metrics(
                    truth["test"][known["test"]], chip["test"][known["test"]], threshold
                ),
            }
        )
    metrics = pd.DataFrame(rows)
    LOG.info("pixel models on polygon labels:\n%s", metrics[["level", "model", "f1", "pr_auc"]])
    return WeakEvaluation(per_chip, table, metrics, lasso, models["logistic_l1"], tolerance)
