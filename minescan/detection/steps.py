"""The detection rules as plain functions taking keyword arguments (one per rule)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from minescan.detection.dataset import build_dataset
from minescan.detection.evaluate import gallery, ground_truth, score_detections
from minescan.detection.predict import Detector, detect_tiles, merge_detections
from minescan.detection.record import write_record
from minescan.ml.channels import ranked_channels, ranked_channels_for
from minescan.ml.folder import folder_bands
from minescan.ml.tile_tables import tile_table_from_folder, tile_table_from_zoom
from minescan.outputs import write_csv, write_geoparquet, write_gpkg, write_json

LOG = logging.getLogger(__name__)


def dataset_from_zoom(
    *,
    cells: str,
    statuses: Sequence[str],
    tiles: Sequence[str],
    ranking: str | None,
    channels: Sequence[str] | None,
    **options,
) -> pd.DataFrame:
    """Rule detection_dataset: the dataset of a zoom level's tiles (mine band -> boxes)."""
    names = list(channels) if channels else ranked_channels(ranking)
    table = tile_table_from_zoom(cells, statuses, tiles)
    return build_dataset(tiles=table, channels=names, **options)


def dataset_from_folder(
    *, folder: str, channels: Sequence[str] | None, ranking: str | None = None, **options
) -> pd.DataFrame:
    """Rule detection_dataset_folder: the dataset of a labelled tile folder; without channels,
    the pixel models' best-ranked channels that the folder's bands can make."""
    names = (
        list(channels) if channels else ranked_channels_for(ranking, folder_bands(folder), folder)
    )
    return build_dataset(tiles=tile_table_from_folder(folder), channels=names, **options)


def train(
    *,
    dataset_dir: str,
    run: str,
    scaling: str | None = None,
    window_px: int | None = None,
    **options,
) -> dict:
    """Rule detection_train: fold ``k`` (``fold<k>.yaml``) or the final model (``dataset.yaml``,
    every fold, last epoch kept). With ``scaling`` (the dataset's), ``detector.json`` beside
    the weights records the channels, scaling, image size and window it was trained with."""
    data = Path(dataset_dir) / ("dataset.yaml" if run == "final" else f"{run}.yaml")
    keep = "last" if run == "final" else "best"
    from minescan.detection.train import train_detector  # torch and ultralytics: slow imports

    summary = train_detector(data_yaml=data, keep=keep, **options)
    if scaling:
        write_record(
            options["weights_out"],
            scaling,
            image_size=options["image_size"],
            window_px=window_px,
            provenance=options["provenance"],
        )
    return summary


def cross_validation(*, summaries: Sequence[str], names: Sequence[str], out: str) -> pd.DataFrame:
    """Rule detection_cv: validation metrics per fold, their mean and spread."""
    import json

    rows = []
    for name, path in zip(names, summaries, strict=True):
        record = json.loads(Path(path).read_text())
        rows.append({"fold": name, **record["validation"], "epochs": record["epochs"]})
    table = pd.DataFrame(rows)
    metrics = [c for c in table.columns if c not in ("fold", "epochs")]
    mean = {"fold": "mean", **table[metrics].mean().to_dict()}
    spread = {"fold": "std", **table[metrics].std(ddof=1).to_dict()}
    table = pd.concat([table, pd.DataFrame([mean, spread])], ignore_index=True)
    write_csv(table, out)
    LOG.info("cross-validation:\n%s", table.to_string(index=False))
    return table


def _detector(
    weights: str, scaling: str, image_size: int, settings_dir: str, window_px: int | None
) -> Detector:
    return Detector.load(weights, scaling, image_size, settings_dir, window_px)


def predict(
    *,
    weights: str,
    scaling: str,
    tiles: pd.DataFrame,
    out: str,
    image_size: int,
    confidence: float,
    iou: float,
    overlap: int,
    settings_dir: str,
    provenance: dict,
    zoom: int | None = None,
    window_px: int | None = None,
) -> gpd.GeoDataFrame:
    """Rules detection_predict(_folder): detections of tiles, georeferenced (GeoParquet)."""
    from minescan.ml.runtime import device

    detector = _detector(weights, scaling, image_size, settings_dir, window_px)
    found = detect_tiles(
        detector,
        tiles.to_dict("records"),
        confidence=confidence,
        iou=iou,
        overlap=overlap,
        device=device(),
        zoom=zoom,
    )
    write_geoparquet(found, out, provenance)
    return found


def shard_tiles(tiles_dir: str, status: str) -> pd.DataFrame:
    """The tiles (status ``ok``) of one shard as the table ``predict`` takes."""
    table = pd.read_csv(status)
    ok = table[table["status"] == "ok"]
    return pd.DataFrame(
        {
            "tile": ok["cell_id"],
            "cell_id": ok["cell_id"],
            "image": [str(Path(tiles_dir) / t) for t in ok["tile"]],
        }
    )


def folder_tiles(folder: str) -> pd.DataFrame:
    return tile_table_from_folder(folder)[["tile", "cell_id", "image"]]


def merge(*, parts: Sequence[str], parquet: str, gpkg: str, provenance: dict) -> None:
    """Rule detection_merge: every shard's detections in one GeoParquet and one GeoPackage."""
    table = merge_detections(parts)
    write_geoparquet(table, parquet, provenance)
    write_gpkg(table, gpkg, layer="detections")
    LOG.info("%d detections in %d tiles", len(table), table["tile"].nunique() if len(table) else 0)


def zero_shot(
    *,
    weights: str,
    scaling: str,
    table: str,
    detections_out: str,
    metrics_out: str,
    split: str,
    min_object_pixels: int,
    confidence: float,
    provenance: dict,
    **options,
) -> dict:
    """Rule detection_zero_shot: the given weights, untrained here, on the validation tiles."""
    tiles = pd.read_csv(table)
    tiles = tiles[tiles["split"] == split]
    found = predict(
        weights=weights,
        scaling=scaling,
        tiles=tiles,
        out=detections_out,
        confidence=min(confidence, options.pop("predict_confidence")),
        provenance=provenance,
        **options,
    )
    regions = ground_truth(tiles, min_object_pixels)
    metrics, _, _ = score_detections(tiles, found, regions, confidence)
    metrics = {"weights": str(weights), "split": split, **metrics}
    write_json(metrics, metrics_out, provenance)
    LOG.info("zero shot on %s: %s", split, metrics)
    return metrics


def background(
    *,
    weights: str,
    scaling: str,
    folder: str,
    out: str,
    summary_out: str,
    image_size: int,
    confidence: float,
    iou: float,
    overlap: int,
    settings_dir: str,
    provenance: dict,
    window_px: int | None = None,
) -> dict:
    """Rule detection_background: detections on real mine-free imagery, and its area."""
    from minescan.detection.assess import background_detections
    from minescan.ml.runtime import device

    detector = _detector(weights, scaling, image_size, settings_dir, window_px)
    found, summary = background_detections(
        detector, folder, confidence=confidence, iou=iou, overlap=overlap, device=device()
    )
    write_geoparquet(found, out, provenance)
    write_json(summary, summary_out, provenance)
    return summary


def evaluate(
    *,
    table: str,
    scaling: str,
    detections: str,
    metrics_out: str,
    objects_out: str,
    breakdown_out: str,
    gallery_out: str,
    split: str,
    min_object_pixels: int,
    confidence: float,
    background: str | None,
    background_summary: str | None,
    simulated: bool,
    provenance: dict,
) -> dict:
    """Rule detection_evaluate: the final model on the held-out tiles (and mine-free scenes)."""
    import json

    tiles = pd.read_csv(table)
    tiles = tiles[tiles["split"] == split]
    found = gpd.read_parquet(detections)
    regions = ground_truth(tiles, min_object_pixels)
    metrics, objects, breakdown = score_detections(tiles, found, regions, confidence)
    metrics = {"split": split, "simulated_imagery": bool(simulated), **metrics}
    if background:
        scenes = gpd.read_parquet(background)
        km2 = json.loads(Path(background_summary).read_text())["km2"]
        alarms = int((scenes["score"] >= confidence).sum())
        metrics.update(
            background_km2=km2,
            background_false_alarms=alarms,
            false_alarms_per_100km2=round(100 * alarms / km2, 3) if km2 else None,
        )
    write_json(metrics, metrics_out, provenance)
    write_csv(objects, objects_out)
    write_csv(breakdown, breakdown_out)
    kind = "simulated imagery" if simulated else "real imagery"
    gallery(
        tiles,
        found,
        regions,
        scaling,
        confidence,
        gallery_out,
        f"held-out tiles ({kind}): truth green, detections red (score >= {confidence})",
    )
    LOG.info("evaluation: %s", metrics)
    return metrics


__all__ = [
    "background",
    "cross_validation",
    "dataset_from_folder",
    "dataset_from_zoom",
    "evaluate",
    "folder_tiles",
    "merge",
    "predict",
    "shard_tiles",
    "train",
    "zero_shot",
]
