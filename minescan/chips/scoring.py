"""Score any folder in the chips layout (``chips.csv`` + ``images/``) with a trained chip CNN.

    python -m minescan.chips.scoring --model results/chips/cnn_model.pt \\
        --chips /data/my_chips --out results/my_chips

Writes, for every task the model holds (presence, emergence): ``metrics.csv`` (the columns of
the evaluation, with block-bootstrap intervals), ``rates.csv`` (share flagged per category),
``predictions.parquet`` (with the provenance), ``curves.png`` (PR and calibration) and
``gallery_<task>.png`` (the worst false positives and negatives). Thresholds are the
model's own (chosen on validation blocks or regions when it was trained: best F1, and the
threshold for specificity 0.99, whose held-out sensitivity and specificity are reported);
nothing depends on the ids,
names or coordinates of the shipped chips.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd
import torch

from minescan.chips.cnn import Ensemble, load_models
from minescan.chips.evaluate import summarise
from minescan.chips.load import Chips, load_chips
from minescan.chips.plots import plot_gallery, plot_task_curves, worst_errors
from minescan.chips.tasks import emergence_task, presence_task
from minescan.logs import setup_logging
from minescan.outputs import write_csv, write_parquet
from minescan.provenance import provenance as make_provenance

LOG = logging.getLogger(__name__)
MODEL_NAMES = {"presence": "cnn_ensemble", "emergence": "siamese_cnn_ensemble"}


def task_predictions(chips: Chips, task: str, ensemble: Ensemble) -> pd.DataFrame:
    if task == "presence":
        frame = presence_task(chips)
        images = chips.data[frame["chip"].to_numpy()]
    else:
        frame = emergence_task(chips)
        images = chips.data[frame[["t0", "t1"]].to_numpy()]
    score = ensemble.probability(images)
    out = frame.drop(columns=["chip", "t0", "t1"], errors="ignore")
    out.insert(0, "model", MODEL_NAMES.get(task, task))
    out.insert(0, "task", task)
    out = out.assign(
        score=score, threshold=ensemble.threshold, decision=score >= ensemble.threshold
    )
    if ensemble.threshold_specificity is not None:
        # the operating point chosen for specificity 0.99 on the model's validation region
        out = out.assign(
            threshold_specificity=ensemble.threshold_specificity,
            decision_specificity=score >= ensemble.threshold_specificity,
        )
    return out


def write_gallery(
    predictions: pd.DataFrame, chips: Chips, task: str, model: str, count: int, path: str | Path
) -> None:
    """RGB of t0 and t1 of the worst false positives and negatives of one model."""
    errors = worst_errors(predictions[predictions["task"] == task], model, count)
    before = chips.data[chips.index_of("t0").loc[errors["sample_id"]].to_numpy()]
    after = chips.data[chips.index_of("t1").loc[errors["sample_id"]].to_numpy()]
    plot_gallery(errors, before, after, path, f"{task}, {model}: worst errors (t0 | t1)")


def score_folder(
    *,
    model: str | Path,
    folder: str | Path,
    out: str | Path,
    block_deg: float = 1.0,
    bootstrap: int = 1000,
    seed: int = 0,
    gallery_size: int = 6,
    threads: int = 1,
    provenance: dict | None = None,
) -> pd.DataFrame:
    torch.set_num_threads(max(1, int(threads)))
    out = Path(out)
    models = load_models(model)
    chips = load_chips(folder)
    predictions = pd.concat(
        [task_predictions(chips, task, ensemble) for task, ensemble in models.items()],
        ignore_index=True,
    )
    metrics, rates = [], []
    for task, part in predictions.groupby("task", sort=False):
        m, r = summarise(task, part, block_deg, bootstrap, seed)
        metrics.append(m)
        rates.append(r)
        write_gallery(
            predictions, chips, task, MODEL_NAMES[task], gallery_size, out / f"gallery_{task}.png"
        )
    metrics = pd.concat(metrics, ignore_index=True)
    write_csv(metrics, out / "metrics.csv")
    write_csv(pd.concat(rates, ignore_index=True), out / "rates.csv")
    write_parquet(predictions, out / "predictions.parquet", provenance or {})
    plot_task_curves(
        predictions, out / "curves.png", f"{Path(folder).name} scored by {Path(model).name}"
    )
    shown = ["task", "model", "n", "pr_auc", "roc_auc", "f1", "sensitivity_at_specificity_0.99"]
    shown += [c for c in metrics if c.endswith("validation_threshold_0.99")]
    LOG.info("scores of %s:\n%s", folder, metrics[shown].to_string())
    return metrics


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m minescan.chips.scoring", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", required=True, help="cnn_model.pt of the real_chips target")
    parser.add_argument("--chips", required=True, help="folder with chips.csv and images/")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--block-deg", type=float, default=1.0, help="bootstrap block side")
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gallery", type=int, default=6, help="worst errors shown per kind")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    setup_logging(Path(args.out) / "scoring.log")
    params = vars(args)
    score_folder(
        model=args.model,
        folder=args.chips,
        out=args.out,
        block_deg=args.block_deg,
        bootstrap=args.bootstrap,
        seed=args.seed,
        gallery_size=args.gallery,
        threads=args.threads,
        provenance=make_provenance(params, {"model": args.model}),
    )


if __name__ == "__main__":
    main()
