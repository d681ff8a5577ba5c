"""Operating points of a trained detector used as a pyramid screen, for the false-positive
command (``experiments.pyramid.false_positives --screen detector=<weights.pt>``).

    python -m experiments.pyramid.detector_screen_thresholds \\
        --model results/detection/brazil_tailings/train/final/weights.pt \\
        --tiles results/detection/brazil_tailings/tiles.csv --split test

A labelled tile's screen score is its best box score (``screens.detector_score``). The
sidecar ``<weights>.thresholds.json`` holds ``threshold_recall``, the highest score that keeps
``--target-recall`` of the tiles of ``--split`` (every labelled tile holds a mine), and
``threshold_confidence``, the detection stage's own ``--confidence``. Choose tiles the detector
did not train on: the stage's final model trains on every fold, so only the ``test`` split is
unseen by it.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.pyramid.chip_screen_train import recall_threshold
from minescan.detection.record import load_detector
from minescan.errors import MinescanInputError
from minescan.logs import setup_logging
from minescan.ml.tiles import read_image
from minescan.outputs import write_json
from minescan.provenance import provenance as make_provenance
from minescan.pyramid.screens import detector_score


def tile_scores(detector, table: pd.DataFrame) -> np.ndarray:
    """The best box score of every tile of ``table`` (column ``image``)."""
    return np.array(
        [detector_score(detector, read_image(path, need_mine=False)) for path in table["image"]]
    )


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m experiments.pyramid.detector_screen_thresholds")
    p.add_argument("--model", required=True, help="weights.pt with detector.json beside it")
    p.add_argument("--tiles", required=True, help="tiles.csv of the detection dataset")
    p.add_argument("--split", default="test", help="the tiles' split to choose on")
    p.add_argument("--target-recall", type=float, default=0.98)
    p.add_argument("--confidence", type=float, default=0.25)
    args = p.parse_args(argv)
    setup_logging()
    table = pd.read_csv(args.tiles)
    if "split" not in table or not (table["split"] == args.split).any():
        raise MinescanInputError(
            args.tiles,
            f"no tile of split {args.split!r}",
            "give the tiles.csv of detection_dataset(_folder) and one of its splits",
        )
    chosen = table[table["split"] == args.split]
    detector = load_detector(args.model, Path(args.model).parent / "ultralytics")
    scores = tile_scores(detector, chosen)
    threshold = recall_threshold(np.ones(len(scores)), scores, args.target_recall)
    record = {
        "target_recall": args.target_recall,
        "threshold_recall": threshold,
        "threshold_confidence": args.confidence,
        "tiles": int(len(scores)),
        "recall_at_confidence": float(np.mean(scores >= args.confidence)),
        "chosen_on": f"split {args.split!r} of {args.tiles} (best box score per tile)",
    }
    write_json(record, Path(f"{args.model}.thresholds.json"), make_provenance(vars(args)))
    logging.getLogger(__name__).info("detector screen: %s", record)
    return record


if __name__ == "__main__":
    main()
