"""Region-out evaluation of the detector: whole latitude bands of a labelled folder held out.

Band ``k`` of ``bands`` (equal tile counts, ``splits.latitude_bands``) is held out; the tiles of
the other bands that lie at least ``gap_deg`` of latitude from it train the detector with the
stage's own recipe (dataset with spatial folds inside the training bands, the channel scaling
fitted there, the final model on every fold, last epoch kept: no choice is made on the held-out
band), and the held-out band is scored as ``detection_evaluate`` scores the test split, with
false alarms on the real mine-free scenes. ``summarise`` pools the bands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from minescan.detection.assess import assess_tiles
from minescan.detection.dataset import build_dataset
from minescan.detection.record import load_detector, write_record
from minescan.ml.splits import latitude_bands, region_out_split
from minescan.ml.tile_tables import tile_table_from_folder
from minescan.outputs import write_csv, write_json

LOG = logging.getLogger(__name__)


def band_tiles(folder: str | Path, band: int, bands: int, gap_deg: float) -> pd.DataFrame:
    """The folder's tiles with their ``band`` and ``region_split`` (train, gap, test)."""
    table = tile_table_from_folder(folder)
    table["band"] = latitude_bands(table["latitude"], bands)
    table["region_split"] = region_out_split(table["latitude"], table["band"], band, gap_deg)
    return table


def region_out_band(
    *,
    folder: str | Path,
    band: int,
    bands: int,
    gap_deg: float,
    work_dir: str | Path,
    metrics_out: str | Path,
    objects_out: str | Path,
    channels: Sequence[str],
    dataset_options: Mapping[str, Any],
    train_options: Mapping[str, Any],
    predict_options: Mapping[str, Any],
    start: str,
    settings_dir: str | Path,
    confidence: float,
    background: str | Path | None,
    provenance: dict,
    tta: bool = False,
    ensemble: bool = False,
) -> dict:
    """Train without band ``band``, score on it; returns its metrics. ``ensemble``: one model
    per fold fused (``train_models``); ``tta``: the 8 symmetries of each window fused."""
    from minescan.ml.runtime import device

    work = Path(work_dir)
    table = band_tiles(folder, band, bands, gap_deg)
    training = table[table["region_split"] == "train"]
    options = dict(dataset_options)
    options["test_fraction"] = 0.0  # the held-out band is the test set
    built = build_dataset(
        tiles=training.drop(columns=["band", "region_split"]),
        out_dir=work / "dataset",
        table_out=work / "tiles.csv",
        scaling_out=work / "scaling.json",
        summary_out=work / "dataset.json",
        channels=channels,
        provenance=provenance,
        name=f"{folder} without band {band}",
        **options,
    )
    summary, members = train_models(
        work,
        folds=int(dataset_options["folds"]) if ensemble else 0,
        start=start,
        settings_dir=settings_dir,
        provenance=provenance,
        train_options=train_options,
    )
    write_record(
        work / "weights.pt",
        work / "scaling.json",
        image_size=int(predict_options["image_size"]),
        window_px=predict_options.get("window_px"),
        provenance=provenance,
        members=members,
    )
    detector = load_detector(work / "weights.pt", settings_dir, tta=tta)
    held = table[table["region_split"] == "test"]
    result = assess_tiles(
        detector,
        held,
        confidence=confidence,
        predict_confidence=float(predict_options["confidence"]),
        iou=float(predict_options["iou"]),
        overlap=int(predict_options["overlap"]),
        min_object_pixels=int(dataset_options["min_object_pixels"]),
        device=device(),
        background=background,
    )
    latitudes = held["latitude"]
    metrics = {
        "band": int(band),
        "bands": int(bands),
        "gap_deg": float(gap_deg),
        "latitude_range": [round(float(latitudes.min()), 3), round(float(latitudes.max()), 3)],
        "train_tiles": int(len(built)),
        "gap_tiles": int((table["region_split"] == "gap").sum()),
        "epochs": summary["epochs"],
        "seconds": summary["seconds"],
        "members": 1 + len(members),
        "tta": bool(tta),
        **result.metrics,
    }
    write_json(metrics, metrics_out, provenance)
    write_csv(result.objects.assign(band=int(band)), objects_out)
    LOG.info("band %d held out: %s", band, metrics)
    return metrics


def train_models(
    work: Path,
    *,
    folds: int,
    start: str,
    settings_dir: str | Path,
    provenance: dict,
    train_options: Mapping[str, Any],
) -> tuple[dict, list[Path]]:
    """The final model on every fold (``folds`` 0), or one model per fold, each trained on the
    other folds and validated on its own (a fold ensemble; the first is ``work/weights.pt``,
    the others ``work/fold<k>/weights.pt``). Last epoch kept. Returns the training summary
    (seconds summed over the members) and the further members' weights."""
    from minescan.detection.train import train_detector

    def train(data: str, out: Path) -> dict:
        return train_detector(
            data_yaml=work / "dataset" / data,
            run_dir=out / "run",
            weights_out=out / "weights.pt",
            summary_out=out / "summary.json",
            curves_out=out / "curves.png",
            start=start,
            keep="last",
            settings_dir=settings_dir,
            workers=0,
            provenance=provenance,
            **train_options,
        )

    if folds < 2:
        return train("dataset.yaml", work), []
    summaries = [train(f"fold{k}.yaml", work / f"fold{k}" if k else work) for k in range(folds)]
    summary = {**summaries[0], "seconds": round(sum(s["seconds"] for s in summaries), 2)}
    return summary, [work / f"fold{k}" / "weights.pt" for k in range(1, folds)]


SUMMARY_COLUMNS = [
    "band",
    "latitude_range",
    "tiles",
    "objects",
    "train_tiles",
    "map50",
    "map50_95",
    "object_recall_iou50",
    "object_recall_half_area",
    "boxes_per_tile",
    "false_alarms_per_100km2",
    "recall_iou50_at_target",
    "confidence_at_target",
]


def summarise(
    *,
    metrics: Sequence[str | Path],
    objects: Sequence[str | Path],
    table_out,
    summary_out,
    provenance,
) -> dict:
    """Per band and pooled: recall over every held-out object, mAP and false alarms as the
    mean over bands (each band has its own model and scaling)."""
    records = [json.loads(Path(p).read_text()) for p in metrics]
    rows = []
    for r in records:
        target = r.get("at_target_false_alarms") or {}
        rows.append(
            {
                **{k: r.get(k) for k in SUMMARY_COLUMNS},
                "recall_iou50_at_target": target.get("object_recall_iou50"),
                "confidence_at_target": target.get("confidence"),
            }
        )
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    found = pd.concat([pd.read_csv(p) for p in objects], ignore_index=True)
    pooled = {
        "band": "pooled",
        "tiles": int(table["tiles"].sum()),
        "objects": int(len(found)),
        "train_tiles": None,
        "map50": round(float(table["map50"].mean()), 4),
        "map50_95": round(float(table["map50_95"].mean()), 4),
        "object_recall_iou50": round(float(found["found_iou50"].mean()), 4),
        "object_recall_half_area": round(float(found["found_half_area"].mean()), 4),
        "boxes_per_tile": round(
            float((table["boxes_per_tile"] * table["tiles"]).sum())
            / max(int(table["tiles"].sum()), 1),
            3,
        ),
        "false_alarms_per_100km2": _mean(table["false_alarms_per_100km2"]),
        "recall_iou50_at_target": _weighted(table, "recall_iou50_at_target"),
        "confidence_at_target": None,
    }
    table = pd.concat([table, pd.DataFrame([pooled])], ignore_index=True)
    write_csv(table, table_out)
    summary = {"bands": records, "pooled": pooled}
    write_json(summary, summary_out, provenance)
    LOG.info("region-out:\n%s", table.to_string(index=False))
    return summary


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return round(float(values.mean()), 3) if len(values) else None


def _weighted(table: pd.DataFrame, column: str) -> float | None:
    part = table.dropna(subset=[column])
    if part.empty:
        return None
    return round(float((part[column] * part["objects"]).sum() / part["objects"].sum()), 4)
