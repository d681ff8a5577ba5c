"""Sparse linear models: the LASSO path and the L1-logistic path.

The LASSO path minimises the usual objective
``min_w 1/(2n) |y - w.x - b|^2 + lambda |w|_1`` over standardized features; the logistic path
minimises ``mean log-loss + lambda |w|_1`` (scikit-learn's ``C = 1 / (n lambda)``). Both are
fitted on the training cells over the same kind of lambda grid, scored on the validation
cells at every lambda, and the deployed model is the sparsest one whose validation PR-AUC is
within a tolerance of the best. Weights are stored on the raw feature scale, so a model is
``intercept + sum_j w_j f_j`` on features computed from reflectance x 10000.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, lasso_path

from minescan.pixelmodels.features import Feature
from minescan.pixelmodels.metrics import best_f1_threshold, binary_metrics
from minescan.pixelmodels.model import LinearModel, Standardizer

LOG = logging.getLogger(__name__)
LINKS = ("identity", "logistic")


@dataclass
class PathResult:
    """Weights (standardized scale) and validation scores over a descending lambda grid."""

    kind: str
    lambdas: np.ndarray
    coefs: np.ndarray  # (n_lambdas, n_features), standardized scale
    intercepts: np.ndarray
    scores: pd.DataFrame  # one row per lambda
    feature_names: list[str]
    standardizer: Standardizer

    def weights_table(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.coefs, columns=self.feature_names)
        frame.insert(0, "lambda", self.lambdas)
        frame.insert(1, "intercept", self.intercepts)
        return frame

    def zero_order(self) -> pd.DataFrame:
        """For each feature, the lambda from which its weight stays zero as lambda grows.

        ``zero_from_lambda`` is the smallest grid lambda with w = 0 there and at every larger
        lambda (NaN: never zero on the grid); ``vanish_order`` ranks features by it, 1 for
        the first weight to reach zero when lambda increases; features zero on the whole
        grid share the first places.
        """
        nonzero = self.coefs != 0  # lambdas descending
        rows = []
        for j, name in enumerate(self.feature_names):
            idx = np.flatnonzero(nonzero[:, j])
            if idx.size == 0:  # zero on the whole grid
                zero_from, last_nonzero = float(self.lambdas[-1]), float("nan")
            else:
                last_nonzero = float(self.lambdas[idx[0]])
                zero_from = float(self.lambdas[idx[0] - 1]) if idx[0] > 0 else float("nan")
            rows.append(
                {
                    "feature": name,
                    "zero_from_lambda": zero_from,
                    "largest_nonzero_lambda": last_nonzero,
                    "max_abs_weight": float(np.abs(self.coefs[:, j]).max()),
                }
            )
        table = pd.DataFrame(rows)
        key = table["largest_nonzero_lambda"].fillna(-np.inf)
        table = table.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
        table["vanish_order"] = np.arange(1, len(table) + 1)
        return table

    def select(self, tolerance: float) -> int:
        """Index of the largest lambda whose validation PR-AUC is within tolerance of the best."""
        pr = self.scores["pr_auc"].to_numpy()
        good = np.flatnonzero(pr >= np.nanmax(pr) - tolerance)
        nnz = (self.coefs != 0).sum(axis=1)
        good = good[nnz[good] > 0] if (nnz[good] > 0).any() else good
        return int(good.min())

    def model_at(
        self, index: int, features: Sequence[Feature], link: str, target: str
    ) -> LinearModel:
        w = self.coefs[index] / self.standardizer.scale
        b = float(self.intercepts[index] - np.sum(w * self.standardizer.mean))
        scale, offset = (0.5, 0.5) if target == "distance" and link == "identity" else (1.0, 0.0)
        meta = {
            "kind": self.kind,
            "lambda": float(self.lambdas[index]),
            "target": target,
            "nonzero": int(np.count_nonzero(w)),
            **{k: _plain(v) for k, v in self.scores.iloc[index].items() if k != "lambda"},
        }
        return LinearModel(list(features), w, b, link, scale, offset, meta)


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def lambda_grid(lambda_max: float, n: int, min_ratio: float) -> np.ndarray:
    return np.geomspace(lambda_max, lambda_max * min_ratio, n)


def _validation_scores(
    lambdas: np.ndarray, predictions: np.ndarray, y_val: np.ndarray, truth: np.ndarray, coefs
) -> pd.DataFrame:
    rows = []
    for i, lam in enumerate(lambdas):
        pred = predictions[:, i]
        threshold = best_f1_threshold(truth, pred)
        m = binary_metrics(truth, pred, threshold)
        resid = y_val - pred
        rows.append(
            {
                "lambda": float(lam),
                "nonzero": int(np.count_nonzero(coefs[i])),
                "pr_auc": m["pr_auc"],
                "f1": m["f1"],
                "iou": m["iou"],
                "precision": m["precision"],
                "recall": m["recall"],
                "mse": float(np.mean(resid**2)),
            }
        )
    return pd.DataFrame(rows)


def fit_lasso_path(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    truth_val: np.ndarray,
    feature_names: list[str],
    *,
    n_lambdas: int = 40,
    min_ratio: float = 1e-4,
) -> PathResult:
    """LASSO over a log grid of lambda from lambda_max (all weights zero) down, with a
    precomputed Gram matrix (one pass over the data; fast for many rows, few features)."""
    std = Standardizer.fit(X_train)
    Xs = std.transform(X_train.astype(np.float64))
    y_mean = float(np.mean(y_train))
    yc = y_train.astype(np.float64) - y_mean
    gram = Xs.T @ Xs
    xy = Xs.T @ yc
    n = Xs.shape[0]
    lambdas = lambda_grid(float(np.abs(xy).max() / n), n_lambdas, min_ratio)
    LOG.info("LASSO path: %d rows, %d features, %d lambdas", n, Xs.shape[1], len(lambdas))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        _, coefs, _ = lasso_path(
            Xs, yc, alphas=lambdas, precompute=gram, Xy=xy, copy_X=False, max_iter=5000
        )
    if caught:
        LOG.warning("LASSO path: %d of %d lambdas did not fully converge", len(caught), n_lambdas)
    coefs = coefs.T  # (n_lambdas, n_features)
    intercepts = np.full(len(lambdas), y_mean)
    pred = std.transform(X_val.astype(np.float64)) @ coefs.T + y_mean
    scores = _validation_scores(lambdas, pred, y_val, truth_val, coefs)
    return PathResult("lasso", lambdas, coefs, intercepts, scores, feature_names, std)


def fit_logistic_path(
    X_train: np.ndarray,
    truth_train: np.ndarray,
    X_val: np.ndarray,
    truth_val: np.ndarray,
    feature_names: list[str],
    *,
    n_lambdas: int = 20,
    min_ratio: float = 1e-3,
    seed: int = 0,
) -> PathResult:
    """L1-regularized logistic regression over a log grid of lambda."""
    std = Standardizer.fit(X_train)
    Xs = std.transform(X_train.astype(np.float64))
    y = (np.asarray(truth_train) > 0.5).astype(np.int8)
    n = Xs.shape[0]
    lambda_max = float(np.abs(Xs.T @ (y - y.mean())).max() / n)
    lambdas = lambda_grid(lambda_max, n_lambdas, min_ratio)
    LOG.info("L1-logistic path: %d rows, %d features, %d lambdas", n, Xs.shape[1], len(lambdas))
    # liblinear's coordinate descent is far faster than saga on collinear index features;
    # its penalty on the intercept is negligible with a large intercept_scaling
    clf = LogisticRegression(
        l1_ratio=1.0, solver="liblinear", intercept_scaling=100.0, tol=1e-3, random_state=seed
    )
    coefs = np.zeros((len(lambdas), Xs.shape[1]))
    intercepts = np.zeros(len(lambdas))
    for i, lam in enumerate(lambdas):
        clf.set_params(C=1.0 / (n * lam))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Xs, y)
        coefs[i] = clf.coef_[0]
        intercepts[i] = clf.intercept_[0]
        if (i + 1) % 5 == 0:
            LOG.info("  lambda %d/%d: %d non-zero", i + 1, len(lambdas), np.count_nonzero(coefs[i]))
    pred = std.transform(X_val.astype(np.float64)) @ coefs.T + intercepts
    truth_val = np.asarray(truth_val, dtype=np.float64)
    scores = _validation_scores(lambdas, pred, truth_val, truth_val, coefs)
    scores = scores.drop(columns="mse")
    return PathResult("logistic", lambdas, coefs, intercepts, scores, feature_names, std)
