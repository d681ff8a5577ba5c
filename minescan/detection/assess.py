"""One trained detector over labelled tiles and mine-free imagery: detections, the stage's
metrics (``evaluate.score_detections``), boxes per tile and false alarms per 100 km².

Shared by the scoring command (any labelled folder) and the region-out evaluation (a held-out
latitude band), so that both score exactly as the stage's ``detection_evaluate`` rule does.
Besides the figures at the configured ``confidence``, the recall is also given at the lowest
score threshold whose false alarms on the mine-free imagery stay within
``target_false_alarms`` per 100 km² (the issue's operating point): a threshold chosen on
mine-free scenes only, never on the labelled tiles scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from minescan.detection.evaluate import ground_truth, score_detections
from minescan.detection.predict import Detector, detect_tiles


@dataclass
class Assessment:
    metrics: dict
    objects: pd.DataFrame
    breakdown: pd.DataFrame
    detections: gpd.GeoDataFrame
    regions: dict
    background: gpd.GeoDataFrame | None


def background_detections(
    detector: Detector,
    folder: str | Path,
    *,
    confidence: float,
    iou: float,
    overlap: int,
    device: str,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Detections on the mine-free scenes of ``folder`` (cut into the detector's windows) and
    their tile count and valid area in km²."""
    from minescan.ml.background import background_tiles

    bands = sorted({b for f in detector.features for b in f.bands})
    records, scenes = [], {}
    for tile_id, image in background_tiles(folder, bands, detector.window):
        records.append({"tile": tile_id, "image": tile_id, "loaded": image})
        km2 = float(image.valid.sum()) * abs(image.transform.a * image.transform.e) / 1e6
        scene = scene_of(tile_id)
        scenes[scene] = scenes.get(scene, 0.0) + km2
    found = detect_tiles(
        detector, records, confidence=confidence, iou=iou, overlap=overlap, device=device
    )
    summary = {
        "folder": str(folder),
        "tiles": len(records),
        "km2": round(sum(scenes.values()), 3),
        "scene_km2": {k: round(v, 3) for k, v in sorted(scenes.items())},
    }
    return found, summary


def scene_of(tile_id: str) -> str:
    """The scene of a background tile id (``<scene>_<row>_<col>``)."""
    return str(tile_id).rsplit("_", 2)[0]


def threshold_for_false_alarms(scores: np.ndarray, km2: float, per_100km2: float) -> float:
    """The lowest score threshold whose boxes on ``km2`` of mine-free imagery number at most
    ``per_100km2`` per 100 km² (1.0 plus a little when even the best box is too many)."""
    allowed = int(np.floor(per_100km2 * km2 / 100.0 + 1e-9))
    ranked = np.sort(np.asarray(scores, dtype=float))[::-1]
    if len(ranked) <= allowed:
        return 0.0
    # Keep the `allowed` best boxes: the threshold sits just above the next one.
    return float(np.nextafter(ranked[allowed], np.inf))


def assess_tiles(
    detector: Detector,
    tiles: pd.DataFrame,
    *,
    confidence: float,
    predict_confidence: float,
    iou: float,
    overlap: int,
    min_object_pixels: int,
    device: str,
    background: str | Path | None = None,
    target_false_alarms: float = 2.0,
) -> Assessment:
    """Detections over ``tiles`` (``tile``, ``image``, ``mask``) and over ``background``."""
    low = min(confidence, predict_confidence)
    found = detect_tiles(
        detector, tiles.to_dict("records"), confidence=low, iou=iou, overlap=overlap, device=device
    )
    regions = ground_truth(tiles, min_object_pixels)
    metrics, objects, breakdown = score_detections(tiles, found, regions, confidence)
    counts = found[found["score"] >= confidence].groupby("tile").size()
    per_tile = counts.reindex(tiles["tile"], fill_value=0)
    metrics.update(
        boxes_per_tile=round(float(per_tile.mean()), 3),
        boxes_per_tile_max=int(per_tile.max()) if len(per_tile) else 0,
        tiles_without_boxes=int((per_tile == 0).sum()),
    )
    scenes = None
    if background:
        scenes, summary = background_detections(
            detector, background, confidence=low, iou=iou, overlap=overlap, device=device
        )
        km2 = summary["km2"]
        alarms = int((scenes["score"] >= confidence).sum())
        scene = scenes["tile"].map(scene_of)
        metrics.update(
            background=summary,
            background_km2=km2,
            background_false_alarms=alarms,
            false_alarms_per_100km2=round(100 * alarms / km2, 3) if km2 else None,
            false_alarms_by_scene={
                name: int(((scene == name) & (scenes["score"] >= confidence)).sum())
                for name in summary["scene_km2"]
            },
        )
        if km2:
            chosen = threshold_for_false_alarms(
                scenes["score"].to_numpy(), km2, target_false_alarms
            )
            at, _, _ = score_detections(tiles, found, regions, max(chosen, low))
            metrics["at_target_false_alarms"] = {
                "target_per_100km2": target_false_alarms,
                "confidence": round(max(chosen, low), 4),
                "false_alarms": int((scenes["score"] >= max(chosen, low)).sum()),
                "object_recall_iou50": at["object_recall_iou50"],
                "object_recall_half_area": at["object_recall_half_area"],
                "detections": at["detections"],
            }
    return Assessment(metrics, objects, breakdown, found, regions, scenes)
