"""The detector's input channels: bands and named indices, scaled from uint16 to uint8.

Channels are names: a band of the tiles (``B4``), a named spectral index
(``NDVI``) or the normalized difference of any two bands (``ND_B11_B8``). The uint16-to-uint8
scaling is fitted on the training split only (per channel, between two percentiles of its valid
pixels), saved beside the model, and applied identically at prediction. No data is 0 in the
uint8 image; valid pixels map to 1..255.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minescan.errors import MinescanInputError
from minescan.outputs import write_json
from minescan.pixelmodels.features import (
    NAMED_INDICES,
    Feature,
    compute_features,
    pair_name,
)

# Pixels drawn per image when fitting the scaling (enough for stable percentiles).
FIT_PIXELS_PER_IMAGE = 20000
# Fewest valid pixels of an image stretched by its own percentiles (per-tile scaling).
MIN_TILE_PIXELS = 256


def resolve_channels(names: Sequence[str], bands: Sequence[str], source: str) -> list[Feature]:
    """The features behind channel ``names`` for imagery with ``bands``."""
    if not names:
        raise MinescanInputError(source, "no detection channels given", "list at least one")
    bands = list(bands)
    pairs = {pair_name(a, b): (a, b) for a in bands for b in bands if a != b}
    features = []
    for name in names:
        if name in bands:
            features.append(Feature(name, name))
        elif name in NAMED_INDICES or name in pairs:
            a, b = NAMED_INDICES.get(name) or pairs[name]
            if a not in bands or b not in bands:
                raise MinescanInputError(
                    source,
                    f"channel {name!r} needs bands {a} and {b}; the imagery has {bands}",
                    "choose channels the imagery has, or add the bands to imagery.bands",
                )
            features.append(Feature(name, a, b))
        else:
            raise MinescanInputError(
                source,
                f"unknown channel {name!r}",
                f"use a band of {bands}, a named index of {sorted(NAMED_INDICES)} or "
                "ND_<band>_<band>",
            )
    if len({f.name for f in features}) != len(features):
        raise MinescanInputError(source, f"duplicate channels in {list(names)}")
    return features


def ranked_channels(path: str | Path) -> list[str]:
    """The channels the pixel models' ranking recommends (``channels.json``)."""
    record = json.loads(Path(path).read_text())
    names = [c["name"] for c in record.get("detection_channels", [])]
    if not names:
        raise MinescanInputError(path, "no detection_channels recorded", "rerun models_channels")
    return names


def ranked_channels_for(path: str | Path, bands: Sequence[str], source: str) -> list[str]:
    """The ranking's recommended channels for imagery with only ``bands`` (a labelled
    folder): as many channels as recommended, the best-ranked ones those bands can make."""
    record = json.loads(Path(path).read_text())
    wanted = len(ranked_channels(path))
    ranked = [row["feature"] for row in record.get("ranking", [])] or ranked_channels(path)
    names = []
    for name in ranked:
        try:
            resolve_channels([name], bands, source)
        except MinescanInputError:
            continue
        names.append(name)
        if len(names) == wanted:
            break
    if not names:
        raise MinescanInputError(
            source,
            f"none of the pixel models' ranked channels can be made from its bands {list(bands)}",
            "set detection.channels to bands the folder has",
        )
    return names


def channel_stack(
    data: np.ndarray, bands: Sequence[str], features: Sequence[Feature]
) -> np.ndarray:
    """(channel, row, col) float32 values of ``features`` from a (band, row, col) stack."""
    height, width = data.shape[1:]
    columns = {b: data[i].reshape(-1) for i, b in enumerate(bands)}
    values = compute_features(columns, features)
    return values.T.reshape(len(features), height, width)


@dataclass(frozen=True)
class Scaling:
    """Per-channel linear map of [low, high] onto uint8 1..255 (0 is no data).

    ``per_tile``: each image is stretched between the percentiles of its own valid pixels
    (``low``/``high``, fitted on the training split, only for images without valid pixels
    enough), so that a tile's brightness and contrast no longer carry over from the region the
    scaling was fitted on.
    """

    channels: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    percentiles: tuple[float, float] = (1.0, 99.0)
    per_tile: bool = False

    @classmethod
    def fit(
        cls,
        stacks: Iterable[tuple[np.ndarray, np.ndarray]],
        channels: Sequence[str],
        percentiles: Sequence[float] = (1.0, 99.0),
        seed: int = 0,
        per_tile: bool = False,
    ) -> Scaling:
        """Percentiles of the valid pixels of (stack, valid) pairs: the training images."""
        rng = np.random.default_rng(seed)
        samples = []
        for stack, valid in stacks:
            values = stack[:, valid]
            if values.shape[1] > FIT_PIXELS_PER_IMAGE:
                pick = rng.choice(values.shape[1], FIT_PIXELS_PER_IMAGE, replace=False)
                values = values[:, np.sort(pick)]
            samples.append(values)
        if not samples or sum(s.shape[1] for s in samples) == 0:
            raise MinescanInputError(
                "detection dataset",
                "no valid training pixels to fit the channel scaling",
                "check that the training split has tiles with data",
            )
        pooled = np.concatenate(samples, axis=1).astype(np.float64)
        low = np.percentile(pooled, percentiles[0], axis=1)
        high = np.percentile(pooled, percentiles[1], axis=1)
        high = np.where(high > low, high, low + 1e-6)
        return cls(
            tuple(channels),
            tuple(float(v) for v in low),
            tuple(float(v) for v in high),
            (float(percentiles[0]), float(percentiles[1])),
            bool(per_tile),
        )

    def bounds(self, stack: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) per channel for this image: the fitted ones, or its own percentiles."""
        low = np.asarray(self.low, dtype=np.float32)
        high = np.asarray(self.high, dtype=np.float32)
        if self.per_tile and valid.sum() >= MIN_TILE_PIXELS:
            values = stack[:, valid].astype(np.float32)
            own_low = np.percentile(values, self.percentiles[0], axis=1).astype(np.float32)
            own_high = np.percentile(values, self.percentiles[1], axis=1).astype(np.float32)
            flat = own_high <= own_low
            low = np.where(flat, low, own_low)
            high = np.where(flat, high, own_high)
        return low, high

    def apply(self, stack: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """(row, col, channel) uint8: valid pixels in 1..255, no data 0."""
        low, high = self.bounds(stack, valid)
        low, high = low[:, None, None], high[:, None, None]
        scaled = 1.0 + 254.0 * (stack.astype(np.float32) - low) / (high - low)
        image = np.clip(np.rint(scaled), 1, 255).astype(np.uint8)
        image[:, ~valid] = 0
        return np.ascontiguousarray(np.moveaxis(image, 0, -1))

    def to_dict(self) -> dict[str, Any]:
        # per_tile only when set: records of the fitted stretch keep their old keys (the
        # footprints stage rebuilds a Scaling from every key of its record as tuples).
        record = {key: list(value) for key, value in asdict(self).items() if key != "per_tile"}
        return {**record, "per_tile": True} if self.per_tile else record

    def save(self, path: str | Path, provenance: Mapping[str, Any], **extra: Any) -> None:
        write_json({**self.to_dict(), **extra}, path, provenance)

    @classmethod
    def load(cls, path: str | Path) -> Scaling:
        record = json.loads(Path(path).read_text())
        try:
            return cls(
                tuple(record["channels"]),
                tuple(record["low"]),
                tuple(record["high"]),
                tuple(record["percentiles"]),
                bool(record.get("per_tile", False)),
            )
        except (KeyError, TypeError) as error:
            raise MinescanInputError(
                path, f"not a channel scaling ({error})", "rerun the detection dataset rule"
            ) from error
