"""Which bands and indices help identify mines.

Three pieces of evidence per feature, each turned into a rank: how long its weight survives
along the LASSO path and along the L1-logistic path (the later it goes to zero as lambda
grows, the more it carries that the others do not), and how well it separates mine from
non-mine pixels on its own (|2 AUC - 1| on the training cells). The combined rank is the mean
of the three. Subset evidence answers the question directly: validation PR-AUC of a
logistic model on the bands alone, on all features, and on the top-k ranked channels.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from minescan.pixelmodels.features import Feature


def univariate_separability(X: np.ndarray, truth: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    truth = np.asarray(truth) > 0.5
    rows = []
    for j, name in enumerate(names):
        auc = float(roc_auc_score(truth, X[:, j])) if 0 < truth.sum() < truth.size else 0.5
        rows.append(
            {
                "feature": name,
                "auc": auc,
                "separability": abs(2 * auc - 1),
                "higher_in_mines": auc > 0.5,
            }
        )
    return pd.DataFrame(rows)


def rank_channels(
    features: Sequence[Feature],
    lasso_order: pd.DataFrame,
    logistic_order: pd.DataFrame,
    univariate: pd.DataFrame,
    deployed_weights: pd.Series,
) -> pd.DataFrame:
    """One row per feature with the evidence and the combined rank (1 = most useful)."""
    table = pd.DataFrame([f.to_dict() for f in features]).rename(columns={"name": "feature"})
    table["kind"] = ["band" if f.b is None else "normalized difference" for f in features]
    table["bands"] = table["bands"].map(" ".join)
    table["aliases"] = table["aliases"].map(" ".join)
    lasso = lasso_order.set_index("feature")["largest_nonzero_lambda"]
    logistic = logistic_order.set_index("feature")["largest_nonzero_lambda"]
    table["lasso_entry_lambda"] = table["feature"].map(lasso)
    table["logistic_entry_lambda"] = table["feature"].map(logistic)
    uni = univariate.set_index("feature")
    for column in ("auc", "separability", "higher_in_mines"):
        table[column] = table["feature"].map(uni[column])
    table["deployed_weight"] = table["feature"].map(deployed_weights).fillna(0.0)
    ranks = pd.DataFrame(
        {
            "lasso": table["lasso_entry_lambda"].fillna(-1).rank(ascending=False),
            "logistic": table["logistic_entry_lambda"].fillna(-1).rank(ascending=False),
            "univariate": table["separability"].rank(ascending=False),
        }
    )
    table["rank_lasso"] = ranks["lasso"]
    table["rank_logistic"] = ranks["logistic"]
    table["rank_univariate"] = ranks["univariate"]
    table["mean_rank"] = ranks.mean(axis=1)
    table = table.sort_values(["mean_rank", "rank_lasso"], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def subset_scores(
    X_train: np.ndarray,
    truth_train: np.ndarray,
    X_val: np.ndarray,
    truth_val: np.ndarray,
    subsets: dict[str, list[int]],
    seed: int,
) -> pd.DataFrame:
    """Validation PR-AUC of a (lightly L2-regularized) logistic model on each column subset."""
    rows = []
    y = np.asarray(truth_train) > 0.5
    yv = np.asarray(truth_val) > 0.5
    for name, columns in subsets.items():
        if not columns:
            continue
        A, B = X_train[:, columns].astype(np.float64), X_val[:, columns].astype(np.float64)
        mean, scale = A.mean(0), A.std(0)
        scale[scale == 0] = 1
        clf = LogisticRegression(C=1.0, max_iter=500, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit((A - mean) / scale, y)
        score = clf.decision_function((B - mean) / scale)
        rows.append(
            {
                "subset": name,
                "n_features": len(columns),
                "validation_pr_auc": float(average_precision_score(yv, score)),
            }
        )
    return pd.DataFrame(rows)
