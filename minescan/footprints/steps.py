"""The footprints rules as plain functions taking keyword arguments (one per rule)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from minescan.footprints.data import fit_scaling, labelled_tiles, load_pixels, resolve
from minescan.footprints.train import TrainOptions, train_segmenter
from minescan.ml.runtime import device
from minescan.ml.splits import (
    assign_splits,
    latitude_bands,
    region_out_split,
)
from minescan.outputs import write_csv, write_json

LOG = logging.getLogger(__name__)


def inner_validation(table: pd.DataFrame, train: pd.Series, val_folds: int, seed: int) -> pd.Series:
    """Per tile: ``train`` or ``val`` among the ``train`` tiles (fold 0 of ``val_folds`` spatial
    folds, the detection stage's split function), ``None`` for the rest. All model choices
    (epoch, threshold) are made on ``val``: never on the held-out tiles."""
    role = pd.Series(None, index=table.index, dtype=object)
    _, fold = assign_splits(table.loc[train, "group"], val_folds, 0.0, seed)
    role[train] = np.where(fold == 0, "val", "train")
    return role


def fit(
    table: pd.DataFrame,
    role: pd.Series,
    *,
    channels: Sequence[str],
    percentiles: Sequence[float],
    options: Mapping[str, Any],
    encoder_weights: str | None = None,
):
    """Scaling fitted on the training tiles, then the network (see ``train_segmenter``)."""
    settings = TrainOptions(**options, encoder_weights=encoder_weights)
    features = resolve(channels, table["image"].iloc[0])
    scaling = fit_scaling(table[role == "train"], features, percentiles, settings.seed)
    train = load_pixels(table[role == "train"], features, scaling)
    val = load_pixels(table[role == "val"], features, scaling)
    LOG.info("training on %d tiles, validating on %d", len(train), len(val))
    return train_segmenter(train, val, features, scaling, settings, device())


def train(
    *,
    tiles: pd.DataFrame,
    model_out: str,
    table_out: str,
    summary_out: str,
    curves_out: str,
    history_out: str,
    channels: Sequence[str],
    split: Mapping[str, Any],
    val_folds: int,
    percentiles: Sequence[float],
    min_object_pixels: int,
    options: Mapping[str, Any],
    provenance: dict,
    encoder_weights: str | None = None,
    name: str = "",
) -> dict:
    """Rule footprints_train: the detection stage's split (its test tiles held out), an inner
    validation fold, training; the model, the tile table with roles, curves and summary."""
    from minescan.footprints.plots import plot_curves

    table = labelled_tiles(tiles, min_object_pixels=min_object_pixels, **split)
    table["role"] = inner_validation(table, table["split"] != "test", val_folds, split["seed"])
    table.loc[table["split"] == "test", "role"] = "test"
    segmenter, history, summary = fit(
        table,
        table["role"],
        channels=channels,
        percentiles=percentiles,
        options=options,
        encoder_weights=encoder_weights,
    )
    summary = {
        "arch": segmenter.arch,
        "encoder": segmenter.encoder,
        "channels": segmenter.channels,
        "test_tiles": int((table["role"] == "test").sum()),
        "epochs": int(options["epochs"]),
        **summary,
    }
    segmenter.save(model_out, provenance, summary=summary)
    write_csv(table, table_out)
    write_csv(history, history_out)
    write_json(summary, summary_out, provenance)
    plot_curves(history, curves_out, f"{name} {segmenter.arch}/{segmenter.encoder}".strip())
    return summary


def predict_shard(
    *,
    tiles_dir: str,
    status: str,
    model: str,
    out_dir: str,
    parquet: str,
    channels: Sequence[str] | None,
    window_px: int,
    overlap_px: int,
    min_area_m2: float,
    zoom: int,
    epoch: str,
    provenance: dict,
) -> gpd.GeoDataFrame:
    """Rule footprints_predict: probability and mask COGs per cell, footprints of the shard."""
    import rasterio

    from minescan.footprints.model import load_segmenter
    from minescan.footprints.predict import probability, write_rasters
    from minescan.footprints.vectorise import COLUMNS, check_min_area, footprints, keep_large
    from minescan.ml.channels import channel_stack
    from minescan.ml.tiles import read_image
    from minescan.outputs import write_geoparquet

    segmenter = load_segmenter(model, channels)
    table = pd.read_csv(status)
    ok = table[table["status"] == "ok"]
    paths = [Path(tiles_dir) / t for t in ok["tile"]]
    # Checked on every tile before anything is written: a bad value fails the shard whole.
    for path in paths:
        with rasterio.open(path) as src:
            check_min_area(min_area_m2, src.transform, src.crs, str(path))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    frames = []
    for cell_id, path in zip(ok["cell_id"], paths, strict=True):
        image = read_image(path, need_mine=False)
        stack = channel_stack(image.data, image.bands, segmenter.features)
        pixels = np.moveaxis(segmenter.scaling.apply(stack, image.valid), -1, 0)
        prob = probability(segmenter, pixels, image.valid, window_px, overlap_px, device=device())
        kept = keep_large(
            np.nan_to_num(prob) >= segmenter.threshold, image.transform, image.crs, min_area_m2
        )
        tags = {"cell_id": str(cell_id), "zoom": str(zoom), "epoch": str(epoch)}
        write_rasters(
            Path(out_dir) / f"{cell_id}_probability.tif",
            Path(out_dir) / f"{cell_id}_mask.tif",
            prob,
            kept > 0,
            image.transform,
            image.crs,
            provenance,
            tags,
        )
        frames.append(
            footprints(
                kept > 0,
                prob,
                image.transform,
                image.crs,
                min_area_m2=min_area_m2,
                cell_id=str(cell_id),
                zoom=int(zoom),
                epoch=str(epoch),
            )
        )
    found = [f for f in frames if len(f)]
    result = (
        gpd.GeoDataFrame(pd.concat(found, ignore_index=True), geometry="geometry", crs=4326)
        if found
        else gpd.GeoDataFrame(columns=COLUMNS, geometry="geometry", crs=4326)
    )
    write_geoparquet(result, parquet, provenance)
    LOG.info("%d footprints in %d cells", len(result), len(paths))
    return result


def merge(*, parts: Sequence[str], parquet: str, gpkg: str, provenance: dict) -> None:
    """Rule footprints_merge: every shard's footprints in one GeoParquet and one GeoPackage."""
    from minescan.outputs import write_geoparquet, write_gpkg

    frames = [gpd.read_parquet(p) for p in parts]
    table = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)
    write_geoparquet(table, parquet, provenance)
    write_gpkg(table, gpkg, layer="footprints")
    LOG.info("%d footprints, %.3f km²", len(table), table["area_m2"].sum() / 1e6)


def evaluate(
    *,
    model: str,
    table: str,
    channels: Sequence[str] | None,
    out: Mapping[str, str],
    assess_options: Mapping[str, Any],
    detections: str | None,
    detection_background: str | None,
    detection_background_summary: str | None,
    detection_confidence: float,
    simulated: bool,
    provenance: dict,
) -> dict:
    """Rule footprints_evaluate: the model on its held-out tiles and the mine-free scenes, and
    the detector's boxes next to the footprints' boxes on the same tiles."""
    from minescan.footprints.assess import assess, regions_and_boxes, write_assessment
    from minescan.footprints.compare import compare_boxes
    from minescan.footprints.model import load_segmenter

    segmenter = load_segmenter(model, channels)
    tiles = pd.read_csv(table)
    held = tiles[tiles["role"] == "test"]
    result = assess(segmenter, held, **assess_options, device=device())
    regions, boxes = regions_and_boxes(result, assess_options["min_object_pixels"])
    detector_boxes = None
    if detections:
        found = gpd.read_parquet(detections)
        scores, km2 = None, None
        if detection_background:
            scores = gpd.read_parquet(detection_background)["score"].to_numpy()
            km2 = json.loads(Path(detection_background_summary).read_text())["km2"]
        comparison = compare_boxes(
            regions,
            boxes,
            result.metrics.get("false_alarms_per_100km2"),
            found,
            detection_confidence,
            scores,
            km2,
        )
        kept = found[found["score"] >= detection_confidence]
        detector_boxes = {t: g for t, g in kept.groupby(kept["tile"].astype(str))}
    else:
        comparison = pd.DataFrame(columns=["method"])
    write_csv(comparison, out["comparison"])
    kind = "SIMULATED imagery" if simulated else "real imagery"
    write_assessment(
        result,
        metrics_out=out["metrics"],
        objects_out=out["objects"],
        tiles_out=out["tiles"],
        breakdown_out=out["breakdown"],
        gallery_out=out["gallery"],
        provenance=provenance,
        title=f"held-out tiles ({kind}): label green, footprints red"
        + (", detector boxes yellow" if detector_boxes is not None else ""),
        extra={"simulated_imagery": bool(simulated)},
        detector_boxes=detector_boxes,
    )
    return result.metrics


def region_out_band(
    *,
    tiles: pd.DataFrame,
    band: int,
    bands: int,
    gap_deg: float,
    metrics_out: str,
    objects_out: str,
    split: Mapping[str, Any],
    val_folds: int,
    percentiles: Sequence[float],
    min_object_pixels: int,
    options: Mapping[str, Any],
    assess_options: Mapping[str, Any],
    channels: Sequence[str],
    provenance: dict,
) -> dict:
    """Rule footprints_region_out: latitude band ``band`` held out; train on the bands far
    from it (validation inside them), score on it."""
    from minescan.footprints.assess import assess

    table = labelled_tiles(tiles, min_object_pixels=min_object_pixels, **split)
    table["band"] = latitude_bands(table["latitude"], bands)
    table["region_split"] = region_out_split(table["latitude"], table["band"], band, gap_deg)
    train_mask = table["region_split"] == "train"
    role = inner_validation(table, train_mask, val_folds, split["seed"])
    segmenter, history, summary = fit(
        table, role, channels=channels, percentiles=percentiles, options=options
    )
    held = table[table["region_split"] == "test"]
    result = assess(segmenter, held, **assess_options, device=device())
    latitudes = held["latitude"]
    metrics = {
        "band": int(band),
        "latitude_range": [round(float(latitudes.min()), 3), round(float(latitudes.max()), 3)],
        "train_tiles": int((role == "train").sum()),
        "val_tiles": int((role == "val").sum()),
        "gap_tiles": int((table["region_split"] == "gap").sum()),
        "training": summary,
        **result.metrics,
    }
    write_json(metrics, metrics_out, provenance)
    write_csv(result.objects.assign(band=int(band)), objects_out)
    return metrics


def region_out_summary(
    *,
    metrics: Sequence[str],
    objects: Sequence[str],
    table_out: str,
    summary_out: str,
    provenance: dict,
) -> dict:
    """Rule footprints_region_out_summary: per band and pooled over the held-out bands."""
    records = [json.loads(Path(p).read_text()) for p in metrics]
    columns = [
        "band",
        "latitude_range",
        "tiles",
        "iou",
        "f1",
        "precision",
        "recall",
        "object_recall",
    ]
    rows = [{c: r.get(c) for c in columns} for r in records]
    tp = sum(r["true_positive_pixels"] for r in records)
    fp = sum(r["false_positive_pixels"] for r in records)
    fn = sum(r["false_negative_pixels"] for r in records)
    found = pd.concat([pd.read_csv(p) for p in objects], ignore_index=True)
    pooled = {
        "band": "pooled",
        "tiles": sum(r["tiles"] for r in records),
        "iou": round(tp / (tp + fp + fn), 4) if tp + fp + fn else None,
        "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else None,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        "object_recall": round(float(found["found"].mean()), 4) if len(found) else None,
    }
    write_csv(pd.DataFrame([*rows, pooled]), table_out)
    write_json({"pooled": pooled, "bands": rows}, summary_out, provenance)
    return pooled
