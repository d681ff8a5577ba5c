"""One recipe try on a chips folder: the CNNs and the gradient boosting baseline under
region-out (and spatial block CV), without the pixel models or a final model.

    python -m experiments.chips.tries --chips ../shared/data/chips/amazon_s2_change \\
        --out results/chips_tries/chip_std --standardise chip --indices

Writes ``metrics.csv`` (every scheme, task and model; the columns of the evaluation) and
``predictions.parquet``, and logs a short table. Everything else is read from the same
settings as ``experiments/configs/chips_full.yaml`` (5 block folds of 1 degree, 4 longitude
regions with a 1 degree buffer, seed 42); the docs' tries tables give the command of
every try.
Nothing is tuned on a held-out region: each test fold's models choose their epoch and
thresholds on the validation fold.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from pathlib import Path

from minescan.chips.evaluate import evaluate_chips
from minescan.chips.georef import PolygonLabeller, read_yearly_polygons
from minescan.chips.load import load_chips, sample_pairs
from minescan.chips.steps import METRIC_COLUMNS, chip_settings
from minescan.chips.weak import label_chips
from minescan.logs import setup_logging
from minescan.ml.runtime import seed_everything
from minescan.outputs import write_csv, write_parquet
from minescan.provenance import provenance as make_provenance

LOG = logging.getLogger(__name__)
SHOWN = [
    "task",
    "scheme",
    "model",
    "pr_auc",
    "chance_pr_auc",
    "roc_auc",
    "f1",
    "sensitivity_at_specificity_0.99",
    "sensitivity_at_validation_threshold_0.99",
    "specificity_at_validation_threshold_0.99",
]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.chips.tries", description=__doc__)
    p.add_argument("--chips", required=True, help="folder with chips.csv and images/")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--tasks", nargs="+", default=["presence", "emergence"])
    p.add_argument(
        "--schemes",
        nargs="+",
        default=["spatial_cv", "region_out"],
        choices=["spatial_cv", "region_out"],
    )
    p.add_argument("--members", type=int, default=2)
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--standardise", choices=["band", "chip"], default="band")
    p.add_argument("--indices", action="store_true")
    p.add_argument("--augment", nargs="*", default=[], choices=["gain", "haze", "blur"])
    p.add_argument("--tta", action="store_true")
    p.add_argument("--pair-network", choices=["siamese", "fused"], default="siamese")
    p.add_argument("--clean-labels", metavar="POLYGONS", help="train on chips the polygons confirm")
    p.add_argument("--learning-curve", type=float, nargs="*", default=[])
    p.add_argument("--regions", type=int, default=4)
    p.add_argument("--buffer-deg", type=float, default=1.0)
    p.add_argument("--bootstrap", type=int, default=200)
    p.add_argument("--variants", action="store_true", help="sub-ensembles and TTA switched")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out)
    setup_logging(out / "tries.log")
    seed_everything(args.seed, args.threads)
    chips = sample_pairs(load_chips(args.chips), None, args.seed)
    centre_inside = None
    if args.clean_labels:
        labels = label_chips(chips, PolygonLabeller(read_yearly_polygons(args.clean_labels)))
        h, w = labels.mine.shape[1:]
        centre_inside = labels.mine[:, h // 2, w // 2].astype(bool)
    settings = chip_settings(
        block_deg=1.0,
        folds=5,
        seed=args.seed,
        members=args.members,
        width=args.width,
        epochs=args.epochs,
        patience=args.patience,
        bootstrap=args.bootstrap,
        pixels_per_chip=64,
        n_lambdas=20,
        tolerance=0.01,
        families=[],
        learning_curve=args.learning_curve,
        threads=args.threads,
        region_out={"regions": args.regions, "buffer_deg": args.buffer_deg},
        depth=args.depth,
        standardise=args.standardise,
        indices=args.indices,
        augment=args.augment,
        tta=args.tta,
        pair_kind=args.pair_network,
        clean_labels=bool(args.clean_labels),
        pixel_models=False,
        variants=args.variants,
    )
    region = settings.region_out if "region_out" in args.schemes else None
    settings = replace(
        settings,
        tasks=tuple(args.tasks),
        spatial_cv="spatial_cv" in args.schemes,
        region_out=region,
        final=False,
    )
    result = evaluate_chips(chips, settings, centre_inside)
    metrics = result.metrics.reindex(columns=METRIC_COLUMNS)
    params = vars(args)
    write_csv(metrics, out / "metrics.csv")
    write_csv(result.learning_curve, out / "learning_curve.csv")
    write_csv(result.training, out / "training.csv")
    write_parquet(result.predictions, out / "predictions.parquet", make_provenance(params, {}))
    LOG.info("try %s:\n%s", out.name, metrics[SHOWN].round(3).to_string())


if __name__ == "__main__":
    main()
