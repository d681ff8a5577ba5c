"""Georeferenced detections over whole tiles of any size.

A tile is cut into square windows of ``window_px`` tile pixels (the model's image size unless
set; a larger window is shrunk to the image size, as its training chips were) that overlap by
``overlap`` pixels (the last window of a row or column is shifted back inside the tile); boxes
from all windows are put in tile pixels, suppressed (NMS across windows), and boxes that a window
border cut in two are merged back: two boxes from different windows that overlap or touch
while one of them touches its window's inner border become their union. Each box is then
placed on the tile's grid (its CRS) and in lon/lat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from minescan.detection.fusion import DIHEDRAL, IDENTITY, predict_windows
from minescan.errors import MinescanInputError
from minescan.ml.boxes import BORDER_PX, merge_cut_boxes, suppress, windows
from minescan.ml.channels import Scaling, channel_stack
from minescan.ml.tiles import LabelledImage, read_image
from minescan.pixelmodels.features import Feature

LOG = logging.getLogger(__name__)
DETECTION_COLUMNS = [
    "tile",
    "cell_id",
    "zoom",
    "model_id",
    "class_id",
    "class_name",
    "score",
    "px_x0",
    "px_y0",
    "px_x1",
    "px_y1",
    "crs",
    "x_min",
    "y_min",
    "x_max",
    "y_max",
]


@dataclass
class Detector:
    """A trained model with the channels and scaling it was trained on."""

    model: Any
    features: list[Feature]
    scaling: Scaling
    model_id: str
    image_size: int
    class_names: dict[int, str]
    window_px: int | None = None  # tile pixels per window; None = image_size (native pixels)
    # Further models fused with ``model`` (a fold ensemble, ``detector.json``'s ``members``).
    members: list = field(default_factory=list)
    # Test-time augmentation: every window also predicted in the square's 8 symmetries, fused.
    tta: bool = False

    @property
    def window(self) -> int:
        return int(self.window_px or self.image_size)

    @property
    def models(self) -> list:
        return [self.model, *self.members]

    @classmethod
    def load(
        cls,
        weights: str | Path,
        scaling: str | Path,
        image_size: int,
        settings_dir: str | Path,
        window_px: int | None = None,
    ) -> Detector:
        import json

        from minescan.detection.train import load_yolo, weights_id

        model = load_yolo(weights, settings_dir)
        record = json.loads(Path(scaling).read_text())
        features = [Feature.from_dict(f) for f in record["features"]]
        expected = int(model.model.yaml.get("channels", 3)) if hasattr(model.model, "yaml") else 3
        if expected != len(features):
            raise MinescanInputError(
                weights,
                f"the model takes {expected} channels; the dataset has {len(features)} "
                f"({[f.name for f in features]})",
                "choose as many detection.channels as the weights take (3 for RGB models)",
            )
        return cls(
            model,
            features,
            Scaling.load(scaling),
            weights_id(weights),
            int(image_size),
            {int(k): str(v) for k, v in model.names.items()},
            int(window_px) if window_px else None,
        )

    def image(self, tile: LabelledImage) -> np.ndarray:
        return self.scaling.apply(channel_stack(tile.data, tile.bands, self.features), tile.valid)

    def detect(
        self,
        pixels: np.ndarray,
        confidence: float,
        iou: float,
        overlap: int,
        device: str,
        batch: int = 16,
    ) -> pd.DataFrame:
        """Boxes (tile pixels) of one (row, col, channel) uint8 image, windows merged."""
        height, width = pixels.shape[:2]
        size = self.window
        if height < size or width < size:
            # A tile smaller than the window is padded with no data to the window, so that it
            # is shrunk to the image size as the training windows were (letterboxing would
            # instead enlarge it, and every feature would look bigger than any it learnt).
            padded = np.zeros(
                (max(height, size), max(width, size), *pixels.shape[2:]), pixels.dtype
            )
            padded[:height, :width] = pixels
            boxes = self.detect(padded, confidence, iou, overlap, device, batch)
            boxes[["px_x0", "px_x1"]] = boxes[["px_x0", "px_x1"]].clip(0, width)
            boxes[["px_y0", "px_y1"]] = boxes[["px_y0", "px_y1"]].clip(0, height)
            inside = (boxes["px_x1"] > boxes["px_x0"]) & (boxes["px_y1"] > boxes["px_y0"])
            return boxes[inside].reset_index(drop=True)
        spots = [
            (y, x) for y in windows(height, size, overlap) for x in windows(width, size, overlap)
        ]
        found = []
        for start in range(0, len(spots), batch):
            chunk = spots[start : start + batch]
            crops = [np.ascontiguousarray(pixels[y : y + size, x : x + size]) for y, x in chunk]
            fused = predict_windows(
                self.models,
                crops,
                views=DIHEDRAL if self.tta else IDENTITY,
                image_size=self.image_size,
                confidence=confidence,
                iou=iou,
                device=device,
            )
            for k, ((y, x), result) in enumerate(zip(chunk, fused, strict=True)):
                xyxy = result.xyxy.copy()
                h, w = crops[k].shape[:2]
                cut = (
                    ((xyxy[:, 0] <= BORDER_PX) & (x > 0))
                    | ((xyxy[:, 1] <= BORDER_PX) & (y > 0))
                    | ((xyxy[:, 2] >= w - BORDER_PX) & (x + w < width))
                    | ((xyxy[:, 3] >= h - BORDER_PX) & (y + h < height))
                )
                xyxy[:, [0, 2]] += x
                xyxy[:, [1, 3]] += y
                found.append(
                    pd.DataFrame(
                        {
                            "px_x0": xyxy[:, 0],
                            "px_y0": xyxy[:, 1],
                            "px_x1": xyxy[:, 2],
                            "px_y1": xyxy[:, 3],
                            "score": result.scores,
                            "class_id": result.classes,
                            "window": start + k,
                            "cut": cut,
                        }
                    )
                )
        boxes = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
        if boxes.empty:
            return pd.DataFrame(columns=["px_x0", "px_y0", "px_x1", "px_y1", "score", "class_id"])
        xyxy = boxes[["px_x0", "px_y0", "px_x1", "px_y1"]].to_numpy()
        if len(spots) > 1:
            kept = suppress(xyxy, boxes["score"].to_numpy(), iou)
            boxes = boxes.iloc[kept].reset_index(drop=True)
            merged, scores = merge_cut_boxes(
                boxes[["px_x0", "px_y0", "px_x1", "px_y1"]].to_numpy(),
                boxes["score"].to_numpy(),
                boxes["window"].to_numpy(),
                boxes["cut"].to_numpy(),
            )
            boxes = pd.DataFrame(merged, columns=["px_x0", "px_y0", "px_x1", "px_y1"]).assign(
                score=scores, class_id=0 if len(self.class_names) == 1 else -1
            )
        return boxes[["px_x0", "px_y0", "px_x1", "px_y1", "score", "class_id"]]


def georeference(boxes: pd.DataFrame, tile: LabelledImage) -> tuple[pd.DataFrame, list]:
    """Box corners on the tile's grid (its CRS) and the boxes as lon/lat polygons (each side
    densified with points every quarter, so that the polygon follows the reprojected edges)."""
    t = tile.transform
    px = boxes[["px_x0", "px_y0", "px_x1", "px_y1"]].to_numpy(dtype=np.float64)
    xs0, ys0 = t * (px[:, 0], px[:, 1])
    xs1, ys1 = t * (px[:, 2], px[:, 3])
    frame = boxes.assign(
        x_min=np.minimum(xs0, xs1),
        x_max=np.maximum(xs0, xs1),
        y_min=np.minimum(ys0, ys1),
        y_max=np.maximum(ys0, ys1),
        crs=tile.crs.to_string() if tile.crs else None,
    )
    if frame.empty:
        return frame, []
    steps = np.linspace(0.0, 1.0, 5)[:-1]
    x0, x1 = frame["x_min"].to_numpy()[:, None], frame["x_max"].to_numpy()[:, None]
    y0, y1 = frame["y_min"].to_numpy()[:, None], frame["y_max"].to_numpy()[:, None]
    ring_x = np.concatenate(
        [x0 + (x1 - x0) * steps, np.repeat(x1, 4, 1), x1 - (x1 - x0) * steps, np.repeat(x0, 4, 1)],
        axis=1,
    )
    ring_y = np.concatenate(
        [np.repeat(y0, 4, 1), y0 + (y1 - y0) * steps, np.repeat(y1, 4, 1), y1 - (y1 - y0) * steps],
        axis=1,
    )
    lon, lat = Transformer.from_crs(tile.crs, 4326, always_xy=True).transform(ring_x, ring_y)
    polygons = shapely.polygons(np.stack([lon, lat], axis=-1))
    return frame, list(polygons)


def detect_tiles(
    detector: Detector,
    tiles: Iterable[dict],
    *,
    confidence: float,
    iou: float,
    overlap: int,
    device: str,
    zoom: int | None = None,
) -> gpd.GeoDataFrame:
    """Detections of every tile (dicts with ``tile``, ``image``, optional ``mask``/``cell_id``);
    tiles without valid pixels are skipped with a log line."""
    frames, geometries, count = [], [], 0
    for record in tiles:
        count += 1
        tile = record.get("loaded") or read_image(record["image"], need_mine=False)
        if not tile.valid.any():
            LOG.warning("%s: no valid pixels; skipped", record["image"])
            continue
        boxes = detector.detect(detector.image(tile), confidence, iou, overlap, device)
        frame, polygons = georeference(boxes, tile)
        frames.append(
            frame.assign(
                tile=record["tile"],
                cell_id=record.get("cell_id", record["tile"]),
                zoom=zoom,
                model_id=detector.model_id,
                class_name=[detector.class_names.get(int(c), "mine") for c in frame["class_id"]],
            )
        )
        geometries += polygons
    LOG.info("%d tiles: %d detections", count, sum(len(f) for f in frames))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = table.reindex(columns=DETECTION_COLUMNS)
    table["score"] = table["score"].astype(float)
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"))


def merge_detections(parts: Sequence[str | Path]) -> gpd.GeoDataFrame:
    frames = [gpd.read_parquet(p) for p in parts]
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0].iloc[0:0] if frames else gpd.GeoDataFrame(columns=DETECTION_COLUMNS)
    return gpd.GeoDataFrame(pd.concat(non_empty, ignore_index=True), crs="EPSG:4326")
