"""Evaluation on real Sentinel-2 chips: ``chips/amazon_s2_change`` (see its README).

622 pairs of 48 x 48 px chips (before ``t0``, after ``t1``) over the Amazon basin, bands B2,
B3, B4, B8, B11, B12 (reflectance x 10000). The task: the ``t1`` chip of a
``mining_emergence`` pair is a mine, every other chip (the same place before, natural change,
human non-mining change) is not. The split is geographic: chips are grouped by blocks of
``block_deg`` degrees, and both chips of a pair fall in the same block. There is no pixel
mask: a pixel takes its chip's label, so pixel-level figures measure how well single pixels
recognise a mine chip (weak labels), and chip-level figures aggregate them (mean pixel
probability) or use the chip as one patch (mean and spread of every feature).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError
from minescan.pixelmodels.features import Feature, build_features, compute_features
from minescan.pixelmodels.splits import assign_groups, spatial_blocks

LOG = logging.getLogger(__name__)
CHIP_BANDS = ("B2", "B3", "B4", "B8", "B11", "B12")


@dataclass
class Chips:
    meta: pd.DataFrame  # one row per chip image: sample_id, time, category, lon, lat, mine
    data: np.ndarray  # (n, 48, 48, 6) float32 reflectance x 10000, clipped at 0


def load_chips(folder: str | Path) -> Chips:
    folder = Path(folder)
    table_path = folder / "chips.csv"
    if not table_path.is_file():
        raise MinescanInputError(
            str(folder), "chips.csv not found", "set models.chips.path to the chip folder"
        )
    table = pd.read_csv(table_path)
    rows, arrays = [], []
    for record in table.itertuples(index=False):
        for time in ("t0", "t1"):
            array = np.load(folder / getattr(record, f"{time}_path"))
            if array.shape[-1] != len(CHIP_BANDS):
                raise MinescanInputError(
                    str(folder / getattr(record, f"{time}_path")),
                    f"shape {array.shape}, expected (h, w, {len(CHIP_BANDS)})",
                )
            arrays.append(np.clip(array, 0, None).astype(np.float32))
            rows.append(
                {
                    "chip_id": f"{record.sample_id}_{time}",
                    "sample_id": record.sample_id,
                    "time": time,
                    "category": record.category,
                    "longitude": float(record.longitude),
                    "latitude": float(record.latitude),
                    "mine": int(record.category == "mining_emergence" and time == "t1"),
                }
            )
    meta = pd.DataFrame(rows)
    LOG.info(
        "%d chips from %d pairs: %d mine, %d not",
        len(meta),
        len(table),
        int(meta["mine"].sum()),
        int((meta["mine"] == 0).sum()),
    )
    return Chips(meta, np.stack(arrays))


def geographic_split(
    meta: pd.DataFrame, block_deg: float, fractions: tuple[float, float, float], seed: int
) -> np.ndarray:
    """Split per chip, whole blocks of block_deg degrees at a time, stratified by whether a
    block holds a mine chip (so each split sees mines)."""
    blocks = spatial_blocks(meta["longitude"].to_numpy(), meta["latitude"].to_numpy(), block_deg)
    has_mine = pd.Series(meta["mine"].to_numpy()).groupby(blocks).transform("max").to_numpy()
    return assign_groups(blocks, fractions, seed, strata=has_mine)


def chip_features(bands: tuple[str, ...] = CHIP_BANDS) -> list[Feature]:
    return build_features(bands)


def pixel_table(
    chips: Chips, indices: np.ndarray, features: list[Feature], per_chip: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and chip index for the pixels of the chips ``indices``
    (``per_chip`` pixels drawn at random from each, or all)."""
    h, w = chips.data.shape[1:3]
    rng = np.random.default_rng(seed)
    parts, labels, owner = [], [], []
    for i in indices:
        pixels = chips.data[i].reshape(h * w, -1)
        if per_chip is not None and per_chip < h * w:
            pixels = pixels[rng.choice(h * w, per_chip, replace=False)]
        parts.append(pixels)
        labels.append(np.full(len(pixels), chips.meta["mine"].iat[i], dtype=np.float32))
        owner.append(np.full(len(pixels), i, dtype=np.int64))
    stacked = np.concatenate(parts)
    columns = {b: stacked[:, k] for k, b in enumerate(CHIP_BANDS)}
    return compute_features(columns, features), np.concatenate(labels), np.concatenate(owner)


def patch_table(chips: Chips, indices: np.ndarray, features: list[Feature]) -> np.ndarray:
    """The chip as one patch: mean and standard deviation of every feature over its pixels."""
    h, w = chips.data.shape[1:3]
    rows = []
    for i in indices:
        pixels = chips.data[i].reshape(h * w, -1)
        X = compute_features({b: pixels[:, k] for k, b in enumerate(CHIP_BANDS)}, features)
        rows.append(np.concatenate([X.mean(axis=0), X.std(axis=0)]))
    return np.asarray(rows, dtype=np.float32)
