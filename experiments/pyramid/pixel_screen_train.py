"""Train the pixel-model screen on real chips with polygon-derived pixel labels.

    python -m experiments.pyramid.pixel_screen_train \\
        --chips ../shared/data/chips/amazon_s2_change \\
        --polygons ../shared/data/polygons/amazon_mining_watch \\
        --out results/screens/pixel_model.json

The chips stage's weak-label pixel model (``minescan.chips.weak``: Amazon Mining Watch polygons
rasterised on every chip, an L1-logistic model on the six bands and their indices, chosen on
the validation blocks of a geographic split). Its cell score is the pyramid's default statistic,
the share of pixels at or above the model's decision threshold; the sidecar JSON
(``<out>.thresholds.json``) holds the share that keeps ``--target-recall`` of the mine chips
(chip labels) of the validation blocks. No test-block chip is used.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from experiments.pyramid.chip_screen_train import recall_threshold
from minescan.chips.georef import PolygonLabeller, read_yearly_polygons
from minescan.chips.load import CHIP_BANDS, geographic_split, load_chips
from minescan.chips.tasks import presence_task
from minescan.chips.weak import evaluate_weak_labels, label_chips
from minescan.logs import setup_logging
from minescan.ml.runtime import seed_everything
from minescan.outputs import write_json
from minescan.provenance import provenance as make_provenance
from minescan.pyramid.screens import pixel_model_threshold

LOG = logging.getLogger(__name__)
FRACTIONS = (0.6, 0.2, 0.2)


def chip_detected_fraction(model, chips: np.ndarray, threshold: float) -> np.ndarray:
    """Share of each (n, h, w, 6) chip's pixels whose probability reaches ``threshold``."""
    n, h, w, _ = chips.shape
    flat = chips.reshape(-1, len(CHIP_BANDS)).astype(np.float32)
    probability = model.probability({b: flat[:, k] for k, b in enumerate(CHIP_BANDS)})
    return (probability.reshape(n, h * w) >= threshold).mean(axis=1)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.pyramid.pixel_screen_train")
    p.add_argument("--chips", required=True)
    p.add_argument("--polygons", required=True, help="folder of yearly AMW polygon layers")
    p.add_argument("--out", required=True, help="model JSON to write")
    p.add_argument("--target-recall", type=float, default=0.98)
    p.add_argument("--pixels-per-chip", type=int, default=64)
    p.add_argument("--block-deg", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    setup_logging()
    seed_everything(args.seed, 1)
    chips = load_chips(args.chips)
    labels = label_chips(chips, PolygonLabeller(read_yearly_polygons(args.polygons)))
    result = evaluate_weak_labels(
        chips,
        labels,
        block_deg=args.block_deg,
        fractions=FRACTIONS,
        seed=args.seed,
        pixels_per_chip=args.pixels_per_chip,
        n_lambdas=20,
        tolerance=0.01,
        families=[],
    )
    model = result.deployed
    pixel_threshold = pixel_model_threshold(model)
    split = geographic_split(chips.meta, args.block_deg, FRACTIONS, args.seed)
    task = presence_task(chips)
    rows = task["chip"].to_numpy()
    valid = chips.meta["valid"].to_numpy()[rows]
    keep = (split[rows] == "validation") & valid & np.isfinite(task["y"].to_numpy())
    y = task["y"].to_numpy()[keep]
    score = chip_detected_fraction(model, chips.data[rows[keep]], pixel_threshold)
    threshold = recall_threshold(y, score, args.target_recall)
    prov = make_provenance(vars(args), {"chips": args.chips, "polygons": args.polygons})
    model.save(args.out, prov)
    record = {
        "target_recall": args.target_recall,
        "statistic": "detected_fraction",
        "pixel_threshold": pixel_threshold,
        "threshold_recall": threshold,
        "validation_chips": int(keep.sum()),
        "validation_mine_chips": int((y > 0.5).sum()),
        "validation_negatives_kept_at_recall_threshold": float(
            np.mean(score[y < 0.5] >= threshold)
        ),
        "chosen_on": "validation blocks of the geographic split (chip labels)",
    }
    write_json(record, Path(f"{args.out}.thresholds.json"), prov)
    LOG.info("pixel screen: %s", record)


if __name__ == "__main__":
    main()
