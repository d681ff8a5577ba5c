"""Score any chips folder, in the pair layout (``chips.csv`` naming ``.npy`` pairs) or the
gallery layout (``chips.csv`` + PNG grids of single-date chips), with a chip CNN: minescan's
shipped RGB model or one trained by ``real_chips``. The model reads its own bands by name.

    python -m minescan.chips.scoring --model resources/models/chip_rgb/model.pt \\
        --chips ../shared/data/chips/amw_gallery --out results/scored/gallery

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

import numpy as np
import pandas as pd
import torch

from minescan.chips.cnn import Ensemble, load_models
from minescan.chips.evaluate import summarise
from minescan.chips.gallery import is_gallery, load_gallery
from minescan.chips.load import Chips, load_chips
from minescan.chips.plots import plot_gallery, plot_task_curves, worst_errors
from minescan.chips.table import CHIP_BANDS
from minescan.chips.tasks import emergence_task, presence_task
from minescan.errors import MinescanInputError
from minescan.logs import setup_logging
from minescan.outputs import write_csv, write_parquet
from minescan.provenance import provenance as make_provenance

LOG = logging.getLogger(__name__)
MODEL_NAMES = {"presence": "cnn_ensemble", "emergence": "siamese_cnn_ensemble"}


def read_any(folder: str | Path) -> Chips:
    """A chips folder in either layout."""
    return load_gallery(folder) if is_gallery(folder) else load_chips(folder)


def model_view(chips: Chips, ensemble: Ensemble, chip_px: int = 48) -> np.ndarray:
    """The chips' pixels in the model's bands and order; refused (naming the first chip) when
    the folder lacks a band or its chips are not the model's size."""
    wanted = tuple(ensemble.band_names or CHIP_BANDS)
    missing = [b for b in wanted if b not in chips.bands]
    first = chips.meta["chip_id"].iat[0]
    if missing:
        raise MinescanInputError(
            str(chips.folder),
            f"chip {first!r} has the bands {list(chips.bands)}; the model needs {list(wanted)}",
            "score it with a model trained on these bands",
        )
    size = chips.data.shape[1:3]
    if ensemble.arch == "amw" and size != (chip_px, chip_px):
        raise MinescanInputError(
            str(chips.folder),
            f"chip {first!r} is {size[0]} x {size[1]} px; the model takes {chip_px} x {chip_px}",
            f"cut {chip_px} px chips",
        )
    return chips.data[..., [chips.bands.index(b) for b in wanted]]


def task_predictions(chips: Chips, task: str, ensemble: Ensemble) -> pd.DataFrame:
    data = model_view(chips, ensemble)
    if task == "presence":
        frame = presence_task(chips)
        images = data[frame["chip"].to_numpy()]
    else:
        frame = emergence_task(chips)
        images = data[frame[["t0", "t1"]].to_numpy()]
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
    points = ensemble.operating_points or {}
    if "specificity_0.998" in points:
        out = out.assign(**{"decision_specificity_0.998": score >= points["specificity_0.998"]})
    return out


def write_gallery(
    predictions: pd.DataFrame, chips: Chips, task: str, model: str, count: int, path: str | Path
) -> None:
    """RGB of t0 and t1 of the worst false positives and negatives of one model."""
    errors = worst_errors(predictions[predictions["task"] == task], model, count)
    after = chips.data[chips.index_of("t1").loc[errors["sample_id"]].to_numpy()]
    if "t0" not in set(chips.meta["time"]):  # single-date chips: each shown once
        plot_gallery(errors, after, after, path, f"{task}, {model}: worst errors")
        return
    before = chips.data[chips.index_of("t0").loc[errors["sample_id"]].to_numpy()]
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
    chips = read_any(folder)
    single_date = "t0" not in set(chips.meta["time"])
    tasks = {t: e for t, e in models.items() if not (single_date and t == "emergence")}
    predictions = pd.concat(
        [task_predictions(chips, task, ensemble) for task, ensemble in tasks.items()],
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
    parser.add_argument("--model", required=True, help="a chip model (shipped, or real_chips')")
    parser.add_argument("--chips", required=True, help="chips.csv folder (pair or gallery)")
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
