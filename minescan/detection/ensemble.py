"""A fold ensemble from detectors already trained on the same channels and scaling.

    python -m minescan.detection.ensemble --out results/detection/brazil_tailings/ensemble \\
        results/detection/brazil_tailings/train/fold0/weights.pt \\
        results/detection/brazil_tailings/train/fold1/weights.pt

The first member's weights are copied to ``<out>/weights.pt`` and its ``detector.json`` written
beside them with the other members listed relative to it; the scoring command and every other
user of ``load_detector`` then run all members on each window and fuse their boxes (weighted
boxes fusion, ``minescan.detection.fusion``). Members that differ in channels, scaling, image
size or window are refused: their boxes would not describe the same pixels.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from minescan.detection.record import read_record, record_path, write_record
from minescan.errors import MinescanInputError
from minescan.provenance import provenance as make_provenance

SAME = ("channels", "low", "high", "image_size", "window_px", "per_tile")


def make_ensemble(members: list[str | Path], out: str | Path) -> Path:
    """``<out>/weights.pt`` with the record of a fold ensemble of ``members``."""
    if len(members) < 2:
        raise MinescanInputError("--members", "an ensemble needs two members or more")
    records = [read_record(m) for m in members]
    for path, record in zip(members[1:], records[1:], strict=True):
        differ = [k for k in SAME if record.get(k) != records[0].get(k)]
        if differ:
            raise MinescanInputError(
                record_path(path),
                f"differs from {record_path(members[0])} in {differ}",
                "ensemble detectors trained on the same dataset (the folds of one run)",
            )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / "weights.pt"
    shutil.copyfile(members[0], weights)
    first = record_path(members[0])
    return write_record(
        weights,
        first,
        image_size=int(records[0]["image_size"]),
        window_px=records[0].get("window_px"),
        provenance=make_provenance({"members": [str(m) for m in members]}),
        members=members[1:],
    )


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("members", nargs="+", help="weights.pt files with detector.json beside")
    parser.add_argument("--out", required=True, help="folder of the ensemble")
    args = parser.parse_args(argv)
    return make_ensemble(args.members, args.out)


if __name__ == "__main__":
    main()
