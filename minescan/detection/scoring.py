"""Score any folder in the labelled-tiles layout (``tiles.csv``, ``images/``, ``masks/``) with a
trained detector.

    python -m minescan.detection.scoring \\
        --model results/detection/brazil_tailings/train/final/weights.pt \\
        --folder /data/my_tiles --out results/my_tiles [--background ../shared/data/sentinel2]

The channels, their scaling, the image size and the window of tile pixels are the model's own,
read from ``detector.json`` beside the weights (``detection_train`` writes it); a folder whose
bands cannot make those channels is refused before any prediction. Writes ``metrics.json``
(mAP50, mAP50-95, tailings recall by IoU >= 0.5 and by half-area cover, boxes per tile, false
alarms per 100 km² on ``--background`` and the recall at the score threshold that keeps them
within ``--target-false-alarms``), ``objects.csv`` (one row per true region), ``boxes.csv`` and
``detections.gpkg`` (every box at the confidence), ``breakdown.csv`` (country, climate) and
``gallery.png``. Every tile of the folder is scored; paths in ``tiles.csv`` are relative to the
folder, so renamed and moved copies score the same, and nothing depends on the shipped tiles'
ids, names or places.
"""

from __future__ import annotations

import logging
from pathlib import Path

from minescan.detection.assess import assess_tiles
from minescan.detection.evaluate import gallery
from minescan.detection.record import load_detector, read_record, record_bands, record_path
from minescan.errors import MinescanInputError
from minescan.ml.folder import check_labelled_folder
from minescan.ml.tile_tables import tile_table_from_folder
from minescan.outputs import write_csv, write_gpkg, write_json
from minescan.provenance import provenance as make_provenance
from minescan.scoring_cli import labelled_folder_parser, start

LOG = logging.getLogger(__name__)
BOX_COLUMNS = ["tile", "score", "px_x0", "px_y0", "px_x1", "px_y1", "crs"]


def check_bands(weights: str | Path, folder: str | Path) -> tuple[str, ...]:
    """The folder's bands, once it is known they make every channel the model takes."""
    bands = check_labelled_folder(folder)
    record = read_record(weights)
    needed = record_bands(record)
    missing = [b for b in needed if b not in bands]
    if missing:
        raise MinescanInputError(
            Path(folder) / "tiles.csv",
            f"the model's channels {record['channels']} need bands {needed}; the folder's "
            f"images have {list(bands)} (missing {missing})",
            "score a folder with those bands, or a model trained on the folder's bands",
        )
    return bands


def score_folder(
    *,
    model: str | Path,
    folder: str | Path,
    out: str | Path,
    background: str | Path | None = None,
    confidence: float = 0.25,
    predict_confidence: float = 0.01,
    iou: float = 0.5,
    overlap: int = 32,
    min_object_pixels: int = 20,
    target_false_alarms: float = 2.0,
    settings_dir: str | Path | None = None,
    tta: bool = False,
) -> dict:
    """Every file of the scoring of ``folder`` under ``out``; returns the metrics."""
    from minescan.ml.runtime import device

    out = Path(out)
    bands = check_bands(model, folder)
    detector = load_detector(model, settings_dir or out / "ultralytics", tta=tta)
    tiles = tile_table_from_folder(folder)
    result = assess_tiles(
        detector,
        tiles,
        confidence=confidence,
        predict_confidence=predict_confidence,
        iou=iou,
        overlap=overlap,
        min_object_pixels=min_object_pixels,
        device=device(),
        background=background,
        target_false_alarms=target_false_alarms,
    )
    settings = {
        "model": str(model),
        "folder": str(folder),
        "background": str(background) if background else None,
        "confidence": confidence,
        "predict_confidence": predict_confidence,
        "iou": iou,
        "overlap": overlap,
        "min_object_pixels": min_object_pixels,
        "target_false_alarms": target_false_alarms,
        "tta": tta,
        "members": len(detector.models),
    }
    provenance = make_provenance(settings, {"model": model, "detector": record_path(model)})
    metrics = {
        "folder": str(folder),
        "bands": list(bands),
        "channels": [f.name for f in detector.features],
        "model_id": detector.model_id,
        **result.metrics,
    }
    write_json(metrics, out / "metrics.json", provenance)
    write_csv(result.objects, out / "objects.csv")
    write_csv(result.breakdown, out / "breakdown.csv")
    kept = result.detections[result.detections["score"] >= confidence]
    write_csv(kept[BOX_COLUMNS], out / "boxes.csv")
    write_gpkg(kept, out / "detections.gpkg", layer="detections")
    gallery(
        tiles.assign(objects=[len(result.regions[t]) for t in tiles["tile"]]),
        result.detections,
        result.regions,
        record_path(model),
        confidence,
        out / "gallery.png",
        f"{Path(folder).name}: truth green, detections red (score >= {confidence})",
    )
    LOG.info("scored %s: %s", folder, {k: v for k, v in metrics.items() if k != "background"})
    return metrics


def main(argv: list[str] | None = None) -> dict:
    parser = labelled_folder_parser(__doc__.split("\n\n")[0], "weights.pt of detection_train")
    parser.add_argument("--confidence", type=float, default=0.25, help="score of a detection")
    parser.add_argument("--predict-confidence", type=float, default=0.01, help="lowest box kept")
    parser.add_argument("--iou", type=float, default=0.5, help="NMS IoU")
    parser.add_argument("--overlap", type=int, default=32, help="window overlap (pixels)")
    parser.add_argument(
        "--target-false-alarms", type=float, default=2.0, help="per 100 km² of --background"
    )
    parser.add_argument(
        "--tta", action="store_true", help="also predict the 8 symmetries of each window, fused"
    )
    args = parser.parse_args(argv)
    start(args)
    return score_folder(
        model=args.model,
        folder=args.folder,
        out=args.out,
        background=args.background,
        confidence=args.confidence,
        predict_confidence=args.predict_confidence,
        iou=args.iou,
        overlap=args.overlap,
        min_object_pixels=args.min_object_pixels,
        target_false_alarms=args.target_false_alarms,
        tta=args.tta,
    )


if __name__ == "__main__":
    main()
