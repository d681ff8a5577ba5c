"""Tables of the gallery comparison from ``run.py``'s ``scores.parquet``.

For every scheme (region-out, block CV, learning-curve shares), recipe and member count (the
first m members' mean, so one run gives the single member and the ensemble): PR-AUC, ROC-AUC,
sensitivity at specificity 0.99 and 0.998 read off the pooled held-out ROC curve, and the
held-out sensitivity and specificity at the threshold each fold chose on its validation places
for specificity 0.99 (the honest operating point). Intervals: bootstrap over places.

    python experiments/chips_gallery/summarise.py --gallery ../shared/data/chips/amw_gallery \\
        --scores results/experiments/chips_gallery/scores.parquet \\
        --out results/experiments/chips_gallery
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.chips.gallery import place_ids, read_gallery_table
from minescan.chips.metrics import metrics_row, specificity_threshold


def ensemble_scores(scores: pd.DataFrame, members: int) -> pd.DataFrame:
    part = scores[scores["member"] < members]
    keys = ["scheme", "recipe", "fold", "part", "row"]
    return part.groupby(keys, as_index=False)["score"].mean()


def summarise(scores: pd.DataFrame, y: np.ndarray, places: np.ndarray, boot: int) -> pd.DataFrame:
    rows = []
    for (scheme, recipe), part in scores[scores["scheme"] != "final"].groupby(["scheme", "recipe"]):
        counts = [1, int(part["member"].max()) + 1] if recipe != "baseline" else [1]
        for members in sorted(set(counts)):
            s = ensemble_scores(part, members)
            decided = []
            for _, fold in s.groupby("fold"):
                val = fold[fold["part"] == "validation"]
                test = fold[fold["part"] == "test"]
                t = specificity_threshold(y[val["row"]], val["score"].to_numpy(), 0.99)
                decided.append(test.assign(decision=test["score"] >= t))
            test = pd.concat(decided)
            yt, st, dt = y[test["row"]], test["score"].to_numpy(), test["decision"].to_numpy()
            row = metrics_row(yt, st, dt, places[test["row"]], boot, 0)
            rows.append(
                {
                    "scheme": scheme,
                    "recipe": recipe,
                    "members": members,
                    **row,
                    "sensitivity_at_validation_threshold_0.99": float(dt[yt > 0.5].mean()),
                    "specificity_at_validation_threshold_0.99": float((~dt[yt < 0.5]).mean()),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gallery", required=True)
    parser.add_argument("--scores", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    table = read_gallery_table(args.gallery)
    y = table["label"].to_numpy()
    places = place_ids(table).to_numpy()
    scores = pd.read_parquet(args.scores)
    out = summarise(scores, y, places, args.bootstrap)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    out.to_csv(Path(args.out) / "summary.csv", index=False)
    shown = [
        "scheme",
        "recipe",
        "members",
        "n",
        "chance_pr_auc",
        "pr_auc",
        "roc_auc",
        "sensitivity_at_specificity_0.99",
        "sensitivity_at_specificity_0.998",
        "sensitivity_at_validation_threshold_0.99",
        "specificity_at_validation_threshold_0.99",
    ]
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(out[shown].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
