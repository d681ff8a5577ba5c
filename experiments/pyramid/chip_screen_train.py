"""Train the chip CNN as a pyramid screen on real chips, without the cross-validation.

    python -m experiments.pyramid.chip_screen_train --chips ../shared/data/chips/amazon_s2_change \\
        --out results/screens/cnn_model.pt --members 2

The model is the chips stage's final presence ensemble (``fit_final``: region-out longitude
bands, trained on bands 2-4, early-stopped on band 1), so the file loads wherever
``cnn_model.pt`` does. Besides its two thresholds (best F1, specificity 0.99) a sidecar JSON
(``<out>.thresholds.json``) holds the threshold that keeps ``--target-recall`` of the mine
chips of the same validation band: the pyramid's operating point. No held-out chip is used.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from minescan.chips.cnn import save_models
from minescan.chips.evaluate import TaskData, fit_final, schemes
from minescan.chips.folds import region_edges
from minescan.chips.load import load_chips
from minescan.chips.steps import chip_settings
from minescan.logs import setup_logging
from minescan.ml.runtime import seed_everything
from minescan.outputs import write_json
from minescan.provenance import provenance as make_provenance

LOG = logging.getLogger(__name__)


def recall_threshold(y: np.ndarray, score: np.ndarray, recall: float) -> float:
    """The highest score that keeps at least ``recall`` of the positives."""
    positives = np.sort(score[y > 0.5])[::-1]
    if len(positives) == 0:
        raise ValueError("no positive chips to choose a recall threshold on")
    k = int(np.ceil(recall * len(positives))) - 1
    return float(positives[min(max(k, 0), len(positives) - 1)])


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.pyramid.chip_screen_train")
    p.add_argument("--chips", required=True, help="folder with chips.csv and images/")
    p.add_argument("--out", required=True, help="model file to write (cnn_model.pt)")
    p.add_argument("--members", type=int, default=2)
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--augment", nargs="*", default=["gain", "haze", "blur"])
    p.add_argument("--target-recall", type=float, default=0.98)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    setup_logging()
    seed_everything(args.seed, args.threads)
    chips = load_chips(args.chips)
    settings = chip_settings(
        block_deg=1.0,
        folds=5,
        seed=args.seed,
        members=args.members,
        width=args.width,
        epochs=args.epochs,
        patience=args.patience,
        bootstrap=0,
        pixels_per_chip=64,
        n_lambdas=20,
        tolerance=0.01,
        families=(),
        learning_curve=(),
        threads=args.threads,
        region_out={"regions": 4, "axis": "longitude", "buffer_deg": 1.0},
        augment=args.augment,
        pixel_models=False,
    )
    places = chips.meta.drop_duplicates("sample_id")["longitude"].to_numpy()
    edges = region_edges(places, settings.region_out.regions)
    data = TaskData("presence", chips, settings)
    scheme = schemes(data, settings, edges)[-1]
    ensemble = fit_final(data, scheme)
    validation = np.flatnonzero((scheme.folds == 0) & np.isfinite(data.y))
    score = ensemble.probability(data.images(validation))
    y = data.y[validation]
    threshold = recall_threshold(y, score, args.target_recall)
    kept_negatives = float(np.mean(score[y < 0.5] >= threshold))
    params = {k: v for k, v in vars(args).items() if k not in ("out",)}
    prov = make_provenance(params, {"chips": args.chips})
    save_models({"presence": ensemble}, args.out, prov)
    record = {
        "target_recall": args.target_recall,
        "threshold_recall": threshold,
        "threshold_best_f1": float(ensemble.threshold),
        "threshold_specificity_0.99": ensemble.threshold_specificity,
        "validation_chips": int(len(validation)),
        "validation_mine_chips": int((y > 0.5).sum()),
        "validation_negatives_kept_at_recall_threshold": kept_negatives,
        "validation_recall_at_specificity_threshold": float(
            np.mean(score[y > 0.5] >= ensemble.threshold_specificity)
        ),
        "chosen_on": "validation longitude band (fold 0 of region-out), never a held-out band",
    }
    write_json(record, Path(f"{args.out}.thresholds.json"), prov)
    LOG.info("chip screen: %s", record)


if __name__ == "__main__":
    main()
