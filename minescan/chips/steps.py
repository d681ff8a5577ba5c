"""The real-chip evaluation rule as a plain function."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from minescan.chips.evaluate import evaluate_chips
from minescan.outputs import write_csv
from minescan.pixelmodels.plots import plot_path_scores, plot_pr_curves, plot_weight_path


def evaluate_real_chips(
    *,
    folder: str,
    block_deg: float,
    fractions: Sequence[float],
    seed: int,
    pixels_per_chip: int,
    n_lambdas: int,
    tolerance: float,
    families: Sequence[str],
    threads: int,
    out: dict[str, str],
    provenance: dict,
) -> pd.DataFrame:
    result = evaluate_chips(
        folder,
        block_deg=block_deg,
        fractions=tuple(fractions),
        seed=seed,
        pixels_per_chip=pixels_per_chip,
        n_lambdas=n_lambdas,
        tolerance=tolerance,
        families=list(families),
        threads=threads,
    )
    columns = [
        "level",
        "model",
        "n",
        "positives",
        "threshold",
        "precision",
        "recall",
        "specificity",
        "f1",
        "iou",
        "pr_auc",
        "tp",
        "fp",
        "fn",
        "tn",
    ]
    write_csv(result.metrics[columns], out["metrics"])
    write_csv(result.splits, out["splits"])
    write_csv(result.lasso.zero_order(), out["zero_order"])
    chosen_lambda = float(result.lasso.lambdas[result.lasso.select(tolerance)])
    plot_weight_path(
        result.lasso.weights_table(),
        chosen_lambda,
        out["weights_plot"],
        "LASSO path on real Amazon chips (pixels, 6 bands)",
    )
    plot_path_scores(
        result.lasso.scores,
        chosen_lambda,
        out["scores_plot"],
        "LASSO path on real Amazon chips: validation scores",
    )
    chip_curves = {k: v for k, v in result.curves.items() if not k.startswith("pixel")}
    plot_pr_curves(chip_curves, out["pr_plot"], "Real Amazon chips, test blocks: chip level")
    result.deployed.save(out["model"], provenance)
    return result.metrics
