"""The pyramid's screens as functions that score one tile: a cell's image at the level's
pixel size, (bands, rows, cols) reflectance x 10000 with 0 as no data.

- ``pixel``: the deployed pixel model; score = share of valid pixels whose probability reaches
  the model's decision threshold (the pyramid's default statistic, ``detected_fraction``).
- ``chip_cnn``: the real-chips presence ensemble (``cnn_model.pt``, 48 x 48 px x B2 B3 B4 B8
  B11 B12) slid over the tile at half-patch stride (24 px) as Amazon Mining Watch scans;
  score = the highest window probability.
- ``detector``: the detection stage's YOLO model (``minescan.detection.predict``); score = the
  best box score (0 without a box).

Each screen says which bands it needs (``required_bands``), so a missing band is a clear
``MinescanInputError`` before any scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minescan.chips.load import CHIP_BANDS
from minescan.chips.raster import score_windows
from minescan.errors import MinescanInputError

WINDOW_PX = 48
STRIDE_PX = WINDOW_PX // 2


def pixel_model_threshold(model) -> float:
    """The pixel model's decision threshold (stored with it, 0.5 if none)."""
    return float(model.meta.get("threshold", 0.5))


def check_bands(screen: str, needed: Sequence[str], bands: Sequence[str], source: str) -> None:
    missing = [b for b in needed if b not in bands]
    if missing:
        raise MinescanInputError(
            source,
            f"the {screen} screen needs bands {list(needed)}; {missing} are not in the "
            f"imagery's bands {list(bands)}",
            "add them to imagery.bands, or choose another pyramid.screen for this level",
        )


def _stack(data: np.ndarray, bands: Sequence[str], needed: Sequence[str]) -> np.ndarray:
    index = [list(bands).index(b) for b in needed]
    return np.asarray(data)[index]


def pixel_score(model, data: np.ndarray, bands: Sequence[str]) -> float:
    """Share of the tile's valid pixels at or above the pixel model's threshold."""
    needed = model.bands
    check_bands("pixel", needed, bands, "tile")
    stack = _stack(data, bands, needed).astype(np.float32)
    valid = np.asarray(data).any(axis=0).ravel()
    if not valid.any():
        return float("nan")
    columns = {b: stack[k].ravel()[valid] for k, b in enumerate(needed)}
    return float(np.mean(model.probability(columns) >= pixel_model_threshold(model)))


def chip_cnn_score(model, data: np.ndarray, bands: Sequence[str], stride: int = STRIDE_PX):
    """Highest presence probability over the tile's windows (NaN: no valid window); ``model``
    is a chip screen (``minescan.chips.shipped.load_chip_model``) or a chip-CNN ensemble."""
    from minescan.chips.shipped import tile_bands

    needed = tile_bands(model) if hasattr(model, "size") else model.band_names or CHIP_BANDS
    check_bands("chip_cnn", needed, bands, "tile")
    image = np.moveaxis(_stack(data, bands, needed).astype(np.float32), 0, -1)
    windows = score_windows(model, image, stride, getattr(model, "size", WINDOW_PX))
    return float(np.nanmax(windows)) if np.isfinite(windows).any() else float("nan")


def detector_boxes(
    detector,
    tile,
    confidence: float = 0.01,
    iou: float = 0.5,
    overlap: int = 32,
    device: str = "cpu",
):
    """The detector's boxes on one tile (a ``LabelledImage``), after checking its bands."""
    needed = sorted({b for feature in detector.features for b in feature.bands})
    check_bands("detector", needed, tile.bands, "tile")
    return detector.detect(detector.image(tile), confidence, iou, overlap, device)


def best_box(boxes) -> float:
    """The detector screen's score: the best box score, 0 without a box."""
    return float(boxes["score"].max()) if len(boxes) else 0.0


def detector_score(detector, tile, confidence: float = 0.01, device: str = "cpu", **options):
    """Best box score of the detector on one tile (a ``LabelledImage``); 0 without a box.
    ``options``: ``iou`` and ``overlap`` of the windows (``detection.iou``, ``window_overlap``)."""
    return best_box(detector_boxes(detector, tile, confidence, device=device, **options))


@dataclass
class Screen:
    """A loaded screen: its name, model and the function that scores a tile."""

    name: str
    model: Any

    def score(self, data: np.ndarray, bands: Sequence[str], tile: Any = None) -> float:
        if self.name == "pixel":
            return pixel_score(self.model, data, bands)
        if self.name == "chip_cnn":
            return chip_cnn_score(self.model, data, bands)
        if tile is None:  # a fetched cell: the detector's image wants the tile's form
            from minescan.ml.tiles import LabelledImage

            data = np.asarray(data)
            tile = LabelledImage(tuple(bands), data, data.any(axis=0), None, None, None)
        return detector_score(self.model, tile)


def load_screen(name: str, path: str | Path, settings_dir: str | Path | None = None) -> Screen:
    """The screen ``name`` from its model file, or a MinescanInputError naming the file. A
    detector is its ``weights.pt`` with ``detector.json`` beside it; Ultralytics' settings go
    to ``settings_dir`` (default: an ``ultralytics`` folder beside the weights)."""
    path = Path(path)
    if not path.is_file():
        raise MinescanInputError(
            str(path),
            f"the {name} screen's model file does not exist",
            {
                "pixel": "train it: the pixel models (models.deploy) or pixel_screen_train",
                "chip_cnn": "train it: snakemake real_chips (results/chips/cnn_model.pt)",
                "detector": "train it: snakemake detection",
            }.get(name, "train the screen's model"),
        )
    if name == "pixel":
        from minescan.pixelmodels.model import LinearModel

        return Screen(name, LinearModel.load(path))
    if name == "chip_cnn":
        from minescan.chips.shipped import load_chip_model

        return Screen(name, load_chip_model(path))
    if name == "detector":
        from minescan.detection.record import load_detector

        return Screen(name, load_detector(path, settings_dir or path.parent / "ultralytics"))
    raise MinescanInputError(
        "config", f"unknown screen {name!r}", "use pixel, chip_cnn or detector"
    )
