"""Non-linear model families compared with the sparse linear models on the same splits."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from threadpoolctl import threadpool_limits

from minescan.errors import MinescanInputError

LOG = logging.getLogger(__name__)
FAMILIES = ("hist_gradient_boosting", "random_forest")


def make_classifier(family: str, seed: int, threads: int = 1) -> Any:
    """A classifier of ``family`` with settings sized for millions of pixels on a few cores."""
    if family == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.1,
            max_leaf_nodes=31,
            early_stopping=True,
            validation_fraction=0.1,
            random_state=seed,
        )
    if family == "random_forest":
        return RandomForestClassifier(
            n_estimators=100,
            max_depth=16,
            min_samples_leaf=20,
            max_samples=0.25,
            n_jobs=threads,
            random_state=seed,
        )
    raise MinescanInputError(
        "models.families", f"unknown model family {family!r}", f"use some of {list(FAMILIES)}"
    )


def fit_classifier(
    family: str, X: np.ndarray, truth: np.ndarray, seed: int, threads: int = 1
) -> Any:
    """Fit on ``threads`` cores: gradient boosting's OpenMP pool would otherwise take them all."""
    clf = make_classifier(family, seed, threads)
    LOG.info("fitting %s on %d rows x %d features", family, X.shape[0], X.shape[1])
    with threadpool_limits(limits=max(1, int(threads))):
        clf.fit(X, (np.asarray(truth) > 0.5).astype(np.int8))
    return clf


def positive_probability(clf: Any, X: np.ndarray, threads: int = 1) -> np.ndarray:
    with threadpool_limits(limits=max(1, int(threads))):
        proba = clf.predict_proba(X)
    classes = list(clf.classes_)
    return proba[:, classes.index(1)] if 1 in classes else np.zeros(len(X))
