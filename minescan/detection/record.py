"""What a trained detector needs besides its weights, recorded beside them: the channels (and
the bands they are made from), the uint16-to-uint8 scaling fitted on its training split, the
image size and the window of tile pixels it was trained on.

``detector.json`` sits next to ``weights.pt`` (``record_path``); ``load_detector`` reads both,
so that a detector can be used from its weights file alone (the scoring command).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minescan.errors import MinescanInputError
from minescan.outputs import write_json

RECORD_NAME = "detector.json"


def record_path(weights: str | Path) -> Path:
    return Path(weights).with_name(RECORD_NAME)


def write_record(
    weights: str | Path,
    scaling: str | Path,
    *,
    image_size: int,
    window_px: int | None,
    provenance: dict,
    members: Sequence[str | Path] = (),
) -> Path:
    """``detector.json`` beside ``weights``: the dataset's scaling record (channels, features,
    bands, low, high, percentiles) with the image size and window; ``members``: the weights of
    further models trained on the same channels and scaling, fused with ``weights`` at
    prediction (a fold ensemble), stored relative to the record so the folder can move."""
    from minescan.detection.train import weights_id

    record = {
        key: value
        for key, value in json.loads(Path(scaling).read_text()).items()
        if key != "minescan_provenance"
    }
    record.update(
        image_size=int(image_size),
        window_px=int(window_px) if window_px else None,
        weights_id=weights_id(weights),
        members=[
            # relative to the record, so the detector's folder can move whole
            Path(os.path.relpath(Path(m).resolve(), Path(weights).resolve().parent)).as_posix()
            for m in members
        ],
    )
    path = record_path(weights)
    write_json(record, path, provenance)
    return path


def read_record(weights: str | Path) -> dict[str, Any]:
    path = record_path(weights)
    if not Path(weights).is_file():
        raise MinescanInputError(weights, "weights file not found", "give a trained weights.pt")
    if not path.is_file():
        raise MinescanInputError(
            weights,
            f"no {RECORD_NAME} beside the weights (the channels and scaling it was trained with)",
            "use the weights of detection_train (train/<run>/weights.pt), which writes it",
        )
    record = json.loads(path.read_text())
    missing = [k for k in ("features", "channels", "low", "high", "image_size") if k not in record]
    if missing:
        raise MinescanInputError(path, f"lacks {missing}", "retrain with detection_train")
    return record


def record_bands(record: dict[str, Any]) -> list[str]:
    """The bands a detector record's channels are made from (sorted)."""
    from minescan.pixelmodels.features import Feature

    return sorted({b for f in record["features"] for b in Feature.from_dict(f).bands})


def load_detector(weights: str | Path, settings_dir: str | Path, tta: bool = False):
    """The detector of ``weights`` with the channels, scaling and sizes recorded beside it, its
    ensemble members, and test-time augmentation if ``tta``."""
    from minescan.detection.predict import Detector
    from minescan.detection.train import load_yolo, weights_id

    record = read_record(weights)
    detector = Detector.load(
        weights, record_path(weights), record["image_size"], settings_dir, record.get("window_px")
    )
    members = [Path(weights).parent / m for m in record.get("members") or []]
    missing = [str(m) for m in members if not m.is_file()]
    if missing:
        raise MinescanInputError(
            record_path(weights),
            f"lists ensemble members that are not there: {missing}",
            "move or copy the detector's folder whole (the members' paths are relative to it)",
        )
    detector.members = [load_yolo(m, settings_dir) for m in members]
    if members:
        detector.model_id = "+".join([detector.model_id, *(weights_id(m) for m in members)])
    detector.tta = bool(tta)
    return detector
