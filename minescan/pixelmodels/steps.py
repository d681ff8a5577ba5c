"""The pixel-model rules as plain functions (datasets, linear paths, other families, the
comparison, the channel ranking); the rule scripts pass their params in as keywords."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError
from minescan.outputs import write_csv, write_json, write_parquet
from minescan.pixelmodels.dataset import (
    dataset_features,
    drop_edge_pixels,
    read_pixel_table,
    sample_rows,
    sampled_fraction,
    split_arrays,
    total_rows,
)
from minescan.pixelmodels.families import fit_classifier, positive_probability
from minescan.pixelmodels.features import compute_features
from minescan.pixelmodels.labels import make_patches, target_values
from minescan.pixelmodels.linear import LinearModel, fit_lasso_path, fit_logistic_path
from minescan.pixelmodels.metrics import best_f1_threshold, binary_metrics, breakdown
from minescan.pixelmodels.plots import plot_path_scores, plot_pr_curves, plot_weight_path
from minescan.pixelmodels.ranking import rank_channels, subset_scores, univariate_separability
from minescan.pixelmodels.splits import split_table

LOG = logging.getLogger(__name__)


def build_datasets(
    *,
    tables: Sequence[str],
    pixel_out: str,
    patch_out: str,
    bands: Sequence[str],
    max_rows: int,
    seed: int,
    split_by: str,
    fractions: Sequence[float],
    edge_buffer_m: float,
    patch_size: int,
    provenance: dict,
) -> None:
    """The pixel dataset (a seeded sample of about max_rows pixels) and the patch dataset,
    read one shard at a time; splits are decided per cell (or metadata value) so pixels and
    patches of a cell share it and all models are scored on the same held-out cells."""
    if not tables:
        raise MinescanInputError("pixel tables", "no shard tables for the configured zoom")
    total = total_rows(tables)
    share = min(1.0, max_rows / total) if total else 1.0
    LOG.info("%d pixel tables, %d pixels; sampling a share of %.4f", len(tables), total, share)
    pixel_parts, patch_parts = [], []
    for i, path in enumerate(tables):
        table = drop_edge_pixels(read_pixel_table(path, bands), edge_buffer_m)
        if table.empty:
            continue
        pixel_parts.append(sample_rows(table, share, (seed, i)))
        if patch_size > 1:
            # A patch needs half its pixels; of a sampled table, half of those sampled.
            min_fraction = 0.5 * sampled_fraction(path)
            patch_parts.append(
                make_patches(table, list(bands), patch_size, min_fraction=min_fraction)
            )
        LOG.info("  shard %d/%d: %d pixels", i + 1, len(tables), len(table))
    pixels = pd.concat(pixel_parts, ignore_index=True)
    cells = pixels.drop_duplicates("cell_id")[["cell_id", "label", "country", "climate"]]
    split = pd.Series(split_table(cells, split_by, tuple(fractions), seed), index=cells["cell_id"])
    pixels["split"] = pixels["cell_id"].map(split).to_numpy()
    LOG.info("pixel dataset: %d rows (%d in mines)", len(pixels), int(pixels["mine"].sum()))
    write_parquet(pixels, pixel_out, provenance)
    patches = pd.concat(patch_parts, ignore_index=True) if patch_parts else pixels.iloc[:0]
    if len(patches) > max_rows:
        patches = sample_rows(patches, max_rows / len(patches), (seed, len(tables)))
    patches = patches.assign(split=patches["cell_id"].map(split).to_numpy())
    patches = patches[patches["split"].notna()].reset_index(drop=True)
    LOG.info("patch dataset (%d x %d pixels): %d rows", patch_size, patch_size, len(patches))
    write_parquet(patches, patch_out, provenance)


def _load(dataset: str, bands: Sequence[str], unit: str, feature_flags: dict):
    table = pd.read_parquet(dataset)
    features = dataset_features(bands, patch=unit == "patch", **feature_flags)
    return table, features


def _prediction_frame(part: pd.DataFrame, truth: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    frame = part[["cell_id", "split", "country", "climate"]].copy()
    frame["y_true"] = truth.astype(np.float32)
    frame["score"] = score.astype(np.float32)
    return frame.reset_index(drop=True)


def run_linear_path(
    *,
    dataset: str,
    kind: str,
    unit: str,
    bands: Sequence[str],
    feature_flags: dict,
    target: str,
    distance_clip_m: float,
    n_lambdas: int,
    lambda_min_ratio: float,
    max_rows: int,
    tolerance: float,
    seed: int,
    out: dict[str, str],
    provenance: dict,
) -> None:
    """Fit the LASSO or L1-logistic path, save weights, scores, zero order, plots, the
    selected model and its predictions on the validation and test cells."""
    table, features = _load(dataset, bands, unit, feature_flags)
    names = [f.name for f in features]
    parts = {s: split_arrays(table, s) for s in ("train", "validation", "test")}
    train = parts["train"]
    if len(train) > max_rows:
        train = train.sample(n=max_rows, random_state=seed)
    X = {s: compute_features(p, features) for s, p in parts.items()}
    X["train"] = compute_features(train, features)
    truth = {s: (p["mine"].to_numpy() > 0.5).astype(np.float32) for s, p in parts.items()}
    truth["train"] = (train["mine"].to_numpy() > 0.5).astype(np.float32)
    for split in ("train", "validation"):
        if len(np.unique(truth[split])) < 2:
            raise MinescanInputError(
                dataset,
                f"the {split} {unit}s hold {len(truth[split])} rows of one class only",
                "give the models more cells (more polygons, a larger pixels.sample_fraction)",
            )
    if kind == "lasso":
        y_train = target_values(train, target if unit == "pixel" else "mine", distance_clip_m)
        y_val = target_values(
            parts["validation"], target if unit == "pixel" else "mine", distance_clip_m
        )
        path = fit_lasso_path(
            X["train"],
            y_train,
            X["validation"],
            y_val,
            truth["validation"],
            names,
            n_lambdas=n_lambdas,
            min_ratio=lambda_min_ratio,
        )
        link = "identity"
    else:
        path = fit_logistic_path(
            X["train"],
            truth["train"],
            X["validation"],
            truth["validation"],
            names,
            n_lambdas=n_lambdas,
            min_ratio=lambda_min_ratio,
            seed=seed,
        )
        link = "logistic"
    chosen = path.select(tolerance)
    model = path.model_at(chosen, features, link, target if kind == "lasso" else "mine")
    model.meta["unit"] = unit
    columns = {s: p for s, p in parts.items()}
    val_prob = model.probability(columns["validation"])
    model.meta["threshold"] = best_f1_threshold(truth["validation"], val_prob)
    LOG.info(
        "%s: chose lambda %.4g with %d non-zero weights (validation PR-AUC %.3f)",
        kind,
        model.meta["lambda"],
        model.meta["nonzero"],
        model.meta["pr_auc"],
    )
    write_parquet(path.weights_table(), out["weights"], provenance)
    write_csv(path.scores, out["scores"])
    write_csv(path.zero_order(), out["zero_order"])
    model.save(out["model"], provenance)
    title = f"{'LASSO' if kind == 'lasso' else 'L1-logistic'} path ({unit}s)"
    plot_weight_path(path.weights_table(), model.meta["lambda"], out["weights_plot"], title)
    plot_path_scores(path.scores, model.meta["lambda"], out["scores_plot"], title)
    predictions = pd.concat(
        [
            _prediction_frame(parts[s], truth[s], model.probability(columns[s]))
            for s in ("validation", "test")
        ]
    )
    write_parquet(predictions, out["predictions"], provenance)


def run_family(
    *,
    dataset: str,
    family: str,
    unit: str,
    bands: Sequence[str],
    feature_flags: dict,
    max_rows: int,
    seed: int,
    threads: int,
    predictions: str,
    provenance: dict,
) -> None:
    table, features = _load(dataset, bands, unit, feature_flags)
    train = split_arrays(table, "train")
    if len(train) > max_rows:
        train = train.sample(n=max_rows, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = fit_classifier(
            family, compute_features(train, features), train["mine"].to_numpy() > 0.5, seed, threads
        )
    frames = []
    for s in ("validation", "test"):
        part = split_arrays(table, s)
        score = positive_probability(clf, compute_features(part, features), threads)
        frames.append(_prediction_frame(part, part["mine"].to_numpy() > 0.5, score))
    write_parquet(pd.concat(frames), predictions, provenance)


def compare_models(
    *,
    predictions: dict[str, str],
    comparison: str,
    breakdown_out: str,
    pr_plot: str,
    breakdown_by: Sequence[str],
) -> pd.DataFrame:
    """Test-cell metrics per model (threshold: best F1 on validation), a breakdown by
    metadata, and the PR curves. ``predictions`` maps 'unit/model' to a predictions file."""
    rows, parts, curves = [], [], {}
    for name, path in predictions.items():
        frame = pd.read_parquet(path)
        val, test = frame[frame["split"] == "validation"], frame[frame["split"] == "test"]
        threshold = best_f1_threshold(val["y_true"].to_numpy(), val["score"].to_numpy())
        unit, model = name.split("/", 1)
        rows.append(
            {
                "unit": unit,
                "model": model,
                "test_cells": int(test["cell_id"].nunique()),
                **binary_metrics(test["y_true"], test["score"], threshold),
            }
        )
        curves[f"{model} ({unit})"] = (test["y_true"].to_numpy(), test["score"].to_numpy())
        for column in breakdown_by:
            table = breakdown(test, column, threshold).rename(columns={column: "value"})
            table.insert(0, "by", column)
            table.insert(0, "model", model)
            table.insert(0, "unit", unit)
            parts.append(table)
    table = pd.DataFrame(rows).sort_values(["unit", "pr_auc"], ascending=[True, False])
    LOG.info(
        "comparison on held-out cells:\n%s",
        table[["unit", "model", "precision", "recall", "f1", "iou", "pr_auc"]].to_string(),
    )
    write_csv(table, comparison)
    write_csv(pd.concat(parts) if parts else pd.DataFrame(), breakdown_out)
    plot_pr_curves(curves, pr_plot, "Held-out cells: precision-recall")
    return table


def rank_channel_evidence(
    *,
    dataset: str,
    bands: Sequence[str],
    feature_flags: dict,
    lasso_order: str,
    logistic_order: str,
    deployed_model: str,
    top_k: int,
    max_rows: int,
    seed: int,
    ranking_out: str,
    channels_out: str,
    provenance: dict,
) -> dict:
    """The ranked channels with their evidence, and the machine-readable answer."""
    table, features = _load(dataset, bands, "pixel", feature_flags)
    names = [f.name for f in features]
    train, val = split_arrays(table, "train"), split_arrays(table, "validation")
    if len(train) > max_rows:
        train = train.sample(n=max_rows, random_state=seed)
    Xtr, Xva = compute_features(train, features), compute_features(val, features)
    ttr, tva = train["mine"].to_numpy() > 0.5, val["mine"].to_numpy() > 0.5
    model = LinearModel.load(deployed_model)
    weights = pd.Series(model.weights, index=[f.name for f in model.features])
    ranking = rank_channels(
        features,
        pd.read_csv(lasso_order),
        pd.read_csv(logistic_order),
        univariate_separability(Xtr, ttr, names),
        weights,
    )
    top = ranking["feature"].head(top_k).tolist()
    band_idx = [names.index(f.name) for f in features if f.b is None]
    subsets = {
        "bands only": band_idx,
        "all features": list(range(len(names))),
        f"top {top_k} ranked": [names.index(n) for n in top],
        f"top {top_k} bands": [
            names.index(n) for n in ranking.loc[ranking["kind"] == "band", "feature"].head(top_k)
        ],
        "deployed model features": [names.index(f.name) for f in model.sparse().features],
    }
    evidence = subset_scores(Xtr, ttr, Xva, tva, subsets, seed)
    LOG.info("channel subsets (validation PR-AUC):\n%s", evidence.to_string())
    write_csv(ranking, ranking_out)
    scores = dict(zip(evidence["subset"], evidence["validation_pr_auc"], strict=True))
    gain = scores["all features"] - scores["bands only"]
    by_name = {f.name: f for f in features}
    record = {
        "question": "Is there a combination of channels which can enhance the identification "
        "of mines?",
        "answer": (
            f"Normalized differences {'raise' if gain > 0 else 'do not raise'} the validation "
            f"PR-AUC of a linear pixel model from {scores['bands only']:.3f} (bands only) to "
            f"{scores['all features']:.3f} (all features); the top {top_k} ranked channels "
            f"alone reach {scores[f'top {top_k} ranked']:.3f}."
        ),
        "detection_channels": [by_name[n].to_dict() for n in top],
        "deployed_channels": [f.to_dict() for f in model.sparse().features],
        "bands_needed": sorted({b for n in top for b in by_name[n].bands}, key=list(bands).index),
        "subset_validation_pr_auc": scores,
        "ranking": ranking.to_dict(orient="records"),
        "ranking_method": "mean of three ranks: lambda at which the weight enters the LASSO "
        "path, the same on the L1-logistic path, and single-feature |2 AUC - 1| on training "
        "cells",
    }
    write_json(record, channels_out, provenance)
    return record
