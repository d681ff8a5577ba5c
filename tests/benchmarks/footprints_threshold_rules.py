"""Both threshold rules of ``footprints.threshold`` on one trained segmenter: the threshold each
chooses on the model's validation tiles, and the held-out test tiles' figures at it.

    python tests/benchmarks/footprints_threshold_rules.py \\
        --model results/footprints/model/brazil_tailings/unet/model.pt \\
        --tiles results/footprints/model/brazil_tailings/unet/tiles.csv \\
        [--background ../shared/data/sentinel2] [--window-px 448 --overlap-px 64]

The model is trained once; only the threshold differs, so the rows compare the rules (``iou``:
best pixel IoU on validation; ``unbiased``: predicted area = labelled area on validation)
without a second training. The test tiles choose nothing.
"""

from __future__ import annotations

import argparse

import pandas as pd
import torch

from minescan.footprints.assess import assess
from minescan.footprints.data import load_pixels
from minescan.footprints.model import load_segmenter
from minescan.footprints.predict import probability
from minescan.footprints.thresholds import RULES, choose_threshold


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--tiles", required=True, help="the model's tiles.csv (with role)")
    p.add_argument("--background")
    p.add_argument("--window-px", type=int, default=448)
    p.add_argument("--overlap-px", type=int, default=64)
    p.add_argument("--min-area-m2", type=float, default=5000.0)
    p.add_argument("--min-object-pixels", type=int, default=20)
    args = p.parse_args()
    torch.set_num_threads(1)
    segmenter = load_segmenter(args.model)
    table = pd.read_csv(args.tiles)
    val = load_pixels(table[table["role"] == "val"], segmenter.features, segmenter.scaling)
    probs = [
        probability(segmenter, t.pixels, t.valid, args.window_px, args.overlap_px) for t in val
    ]
    options = {
        "window_px": args.window_px,
        "overlap_px": args.overlap_px,
        "min_area_m2": args.min_area_m2,
        "min_object_pixels": args.min_object_pixels,
        "background": args.background,
    }
    rows = []
    for rule in RULES:
        threshold, figures = choose_threshold(
            rule, probs, [t.mine for t in val], [t.valid for t in val]
        )
        segmenter.threshold = threshold
        test = assess(segmenter, table[table["role"] == "test"], **options).metrics
        rows.append(
            {
                "rule": rule,
                "threshold": round(threshold, 3),
                "val_iou": round(figures["iou"], 4),
                "val_area_ratio": round(figures["area_ratio"], 3),
                **{k: test.get(k) for k in ("iou", "f1", "precision", "recall", "object_recall")},
                "test_area_error": test["total_relative_area_error"],
                "false_alarms_per_100km2": test.get("false_alarms_per_100km2"),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
