"""How well the footprints match the labels: pixels, objects, areas, false alarms per area.

- Pixels (held-out tiles, valid pixels pooled): IoU, F1, precision, recall of the footprint
  mask (specks below the minimum area removed, as in the footprints users get).
- Objects: a true region (8-connected, at least ``min_object_pixels``) is found when one
  predicted footprint covers at least half of its pixels.
- Areas: predicted and true mine area in m² per tile, their error per tile and in total.
- False alarms: footprints on real mine-free imagery per 100 km² of valid pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from minescan.footprints.data import TilePixels
from minescan.footprints.model import Segmenter
from minescan.footprints.predict import probability
from minescan.footprints.thresholds import pixel_counts
from minescan.footprints.vectorise import keep_large, pixel_area_m2
from minescan.ml.labels import EIGHT_CONNECTED


@dataclass
class Prediction:
    tile: TilePixels
    prob: np.ndarray
    footprints: np.ndarray  # labelled kept regions (0 = none)


def predict_tiles(
    segmenter: Segmenter,
    tiles: Iterable[TilePixels],
    window_px: int,
    overlap_px: int,
    min_area_m2: float,
    device: str = "cpu",
) -> list[Prediction]:
    out = []
    for tile in tiles:
        prob = probability(segmenter, tile.pixels, tile.valid, window_px, overlap_px, device=device)
        mask = np.nan_to_num(prob) >= segmenter.threshold
        out.append(Prediction(tile, prob, keep_large(mask, tile.transform, tile.crs, min_area_m2)))
    return out


def rates(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "iou": ratio(tp, tp + fp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
    }


def footprint_boxes(labelled: np.ndarray, prob: np.ndarray) -> pd.DataFrame:
    """Pixel boxes around the footprints (as the detector's boxes), score = mean probability."""
    rows = []
    for index, window in enumerate(ndimage.find_objects(labelled), start=1):
        if window is None:
            continue
        inside = labelled[window] == index
        rows.append(
            {
                "px_x0": window[1].start,
                "px_y0": window[0].start,
                "px_x1": window[1].stop,
                "px_y1": window[0].stop,
                "score": float(np.nanmean(prob[window][inside])),
            }
        )
    return pd.DataFrame(rows, columns=["px_x0", "px_y0", "px_x1", "px_y1", "score"])


def true_objects(mine: np.ndarray, footprints: np.ndarray, min_pixels: int) -> list[dict]:
    """Each true region with its box and the largest share of it one footprint covers."""
    truth, count = ndimage.label(mine, structure=EIGHT_CONNECTED)
    if count == 0:
        return []
    sizes = np.bincount(truth.ravel(), minlength=count + 1)
    both = (truth > 0) & (footprints > 0)
    width = int(footprints.max()) + 1
    pairs = np.bincount(
        truth[both].astype(np.int64) * width + footprints[both], minlength=(count + 1) * width
    ).reshape(count + 1, width)
    best = pairs[:, 1:].max(axis=1) if width > 1 else np.zeros(count + 1, dtype=np.int64)
    out = []
    for index, window in enumerate(ndimage.find_objects(truth), start=1):
        if window is None or sizes[index] < min_pixels:
            continue
        out.append(
            {
                "pixels": int(sizes[index]),
                "px_x0": window[1].start,
                "px_y0": window[0].start,
                "px_x1": window[1].stop,
                "px_y1": window[0].stop,
                "covered_fraction": round(float(best[index]) / sizes[index], 4),
                "found": bool(best[index] >= 0.5 * sizes[index]),
            }
        )
    return out


def score(predictions: Sequence[Prediction], min_object_pixels: int):
    """(metrics, objects table, per-tile table) over ``predictions``."""
    counts = np.zeros(3, dtype=np.int64)
    objects, per_tile = [], []
    for p in predictions:
        t = p.tile
        counts += pixel_counts((p.footprints > 0).astype(np.float32), t.mine, t.valid, 0.5)
        pixel_m2 = pixel_area_m2(t.transform, t.crs)
        for found in true_objects(t.mine, p.footprints, min_object_pixels):
            objects.append(
                {"tile": t.tile, **found, "area_m2": round(found["pixels"] * pixel_m2, 1)}
            )
        true_m2 = float(t.mine.sum()) * pixel_m2
        found_m2 = float((p.footprints > 0).sum()) * pixel_m2
        per_tile.append(
            {
                "tile": t.tile,
                "true_area_m2": round(true_m2, 1),
                "predicted_area_m2": round(found_m2, 1),
                "area_error_m2": round(found_m2 - true_m2, 1),
                "relative_area_error": round((found_m2 - true_m2) / true_m2, 4)
                if true_m2
                else None,
                "footprints": int(len(np.unique(p.footprints)) - 1),
                **rates(*pixel_counts((p.footprints > 0).astype(np.float32), t.mine, t.valid, 0.5)),
            }
        )
    objects = pd.DataFrame(
        objects,
        columns=[
            "tile",
            "pixels",
            "area_m2",
            "px_x0",
            "px_y0",
            "px_x1",
            "px_y1",
            "covered_fraction",
            "found",
        ],
    )
    per_tile = pd.DataFrame(per_tile)
    true_total = float(per_tile["true_area_m2"].sum()) if len(per_tile) else 0.0
    found_total = float(per_tile["predicted_area_m2"].sum()) if len(per_tile) else 0.0
    metrics = {
        "tiles": len(predictions),
        **rates(*counts.tolist()),
        "true_positive_pixels": int(counts[0]),
        "false_positive_pixels": int(counts[1]),
        "false_negative_pixels": int(counts[2]),
        "objects": int(len(objects)),
        "object_recall": round(float(objects["found"].mean()), 4) if len(objects) else None,
        "true_area_m2": round(true_total, 1),
        "predicted_area_m2": round(found_total, 1),
        "total_relative_area_error": round((found_total - true_total) / true_total, 4)
        if true_total
        else None,
        "median_abs_relative_area_error_per_tile": round(
            float(per_tile["relative_area_error"].dropna().abs().median()), 4
        )
        if len(per_tile) and per_tile["relative_area_error"].notna().any()
        else None,
    }
    return metrics, objects, per_tile


def false_alarms(predictions: Sequence[Prediction]) -> dict[str, float | int | None]:
    """Footprints on mine-free imagery per 100 km² of its valid pixels."""
    km2 = sum(
        float(p.tile.valid.sum()) * pixel_area_m2(p.tile.transform, p.tile.crs) / 1e6
        for p in predictions
    )
    alarms = sum(int(len(np.unique(p.footprints)) - 1) for p in predictions)
    return {
        "background_tiles": len(predictions),
        "background_km2": round(km2, 3),
        "background_false_alarms": alarms,
        "false_alarms_per_100km2": round(100 * alarms / km2, 3) if km2 else None,
    }


def breakdown(objects: pd.DataFrame, per_tile: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Object recall, IoU and area error per country and per climate class."""
    places = table[["tile", *[c for c in ("country", "climate") if c in table]]].copy()
    places["tile"] = places["tile"].astype(str)
    objects = objects.merge(places, on="tile", how="left")
    per_tile = per_tile.merge(places, on="tile", how="left")
    rows = []
    for column in ("country", "climate"):
        if column not in places or places[column].isna().all():
            continue
        for value, part in per_tile.groupby(per_tile[column].fillna("unknown")):
            found = objects[objects[column].fillna("unknown") == value]["found"]
            true_m2 = part["true_area_m2"].sum()
            rows.append(
                {
                    "by": column,
                    "value": value,
                    "tiles": len(part),
                    "objects": len(found),
                    "object_recall": float(found.mean()) if len(found) else None,
                    "mean_tile_iou": float(part["iou"].mean()),
                    "relative_area_error": float(
                        (part["predicted_area_m2"].sum() - true_m2) / true_m2
                    )
                    if true_m2
                    else None,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "by",
            "value",
            "tiles",
            "objects",
            "object_recall",
            "mean_tile_iou",
            "relative_area_error",
        ],
    )
