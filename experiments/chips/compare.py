"""Paired differences between recipe tries: the same held-out rows scored by two models.

    python -m experiments.chips.compare results/chips_tries/base6_presence:cnn_ensemble_2 \\
        results/chips_tries/augment_presence:cnn_ensemble [--scheme region_out]

Pooled figures of two tries have wide, overlapping intervals (a few hundred chips in a few
dozen blocks); the paired block bootstrap (the same 1 degree blocks resampled for both) says
whether one recipe beats another on the same chips. Prints the PR-AUC and ROC-AUC difference
(second minus first) with its 95 % interval.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from minescan.pixelmodels.splits import spatial_blocks


def held_out(spec: str, scheme: str) -> pd.DataFrame:
    """``folder:model`` -> held-out labelled rows (score, y, place) of that scheme."""
    folder, model = spec.rsplit(":", 1)
    table = pd.read_parquet(Path(folder) / "predictions.parquet")
    table = table[(table["model"] == model) & (table["scheme"] == scheme) & table["y"].notna()]
    return table.set_index("row")[["score", "y", "longitude", "latitude"]]


def paired_difference(
    a: pd.DataFrame, b: pd.DataFrame, n_boot: int = 1000, seed: int = 0, block_deg: float = 1.0
) -> dict[str, float]:
    both = a.join(b[["score"]].rename(columns={"score": "score_b"}), how="inner")
    y = both["y"].to_numpy() > 0.5
    s1, s2 = both["score"].to_numpy(), both["score_b"].to_numpy()
    _, group = np.unique(
        spatial_blocks(both["longitude"], both["latitude"], block_deg), return_inverse=True
    )
    members = [np.flatnonzero(group == g) for g in range(group.max() + 1)]
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        if 0 < y[rows].sum() < len(rows):
            draws.append(
                average_precision_score(y[rows], s2[rows])
                - average_precision_score(y[rows], s1[rows])
            )
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return {
        "rows": len(both),
        "pr_auc_difference": average_precision_score(y, s2) - average_precision_score(y, s1),
        "pr_auc_difference_lo": float(lo),
        "pr_auc_difference_hi": float(hi),
        "roc_auc_difference": roc_auc_score(y, s2) - roc_auc_score(y, s1),
    }


def per_fold(spec: str, scheme: str) -> pd.DataFrame:
    """Figures of one try per held-out fold (region): how much they vary between regions."""
    folder, model = spec.rsplit(":", 1)
    table = pd.read_parquet(Path(folder) / "predictions.parquet")
    table = table[(table["model"] == model) & (table["scheme"] == scheme) & table["y"].notna()]
    rows = []
    for fold, part in table.groupby("fold"):
        y = part["y"].to_numpy() > 0.5
        rows.append(
            {
                "fold": fold,
                "west": part["longitude"].min(),
                "east": part["longitude"].max(),
                "rows": len(part),
                "chance": y.mean(),
                "pr_auc": average_precision_score(y, part["score"]),
                "roc_auc": roc_auc_score(y, part["score"]),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.chips.compare", description=__doc__
    )
    parser.add_argument("reference", help="folder:model of the reference try")
    parser.add_argument("others", nargs="+", help="folder:model of each try compared")
    parser.add_argument("--scheme", default="region_out", choices=["spatial_cv", "region_out"])
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--per-fold", action="store_true", help="also each try per fold")
    args = parser.parse_args(argv)
    if args.per_fold:
        for spec in [args.reference, *args.others]:
            print(spec, "\n", per_fold(spec, args.scheme).round(3).to_string(index=False))
    reference = held_out(args.reference, args.scheme)
    for spec in args.others:
        d = paired_difference(reference, held_out(spec, args.scheme), args.bootstrap)
        print(
            f"{spec} - {args.reference} ({args.scheme}, {d['rows']} rows): PR-AUC "
            f"{d['pr_auc_difference']:+.3f} [{d['pr_auc_difference_lo']:+.3f}, "
            f"{d['pr_auc_difference_hi']:+.3f}], ROC-AUC {d['roc_auc_difference']:+.3f}"
        )


if __name__ == "__main__":
    main()
