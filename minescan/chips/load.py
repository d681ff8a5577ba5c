"""Real Sentinel-2 chip pairs in the layout of ``chips/amazon_s2_change`` (see its README).

A chips folder holds ``chips.csv`` (one row per place: ``sample_id``, ``label`` 1 when a mine
appeared between ``t0`` and ``t1``, ``category``, ``longitude``, ``latitude``, ``t0_path``,
``t1_path`` relative to the folder; optional date windows ``t0_start`` ... ``t1_end``) and the
``(48, 48, 6)`` arrays it names (bands B2, B3, B4, B8, B11, B12, reflectance x 10000). Nothing
here depends on the ids, file names or coordinates of the shipped chips. Chips that are zero
everywhere (no clear observation) are flagged ``valid = False``; the tasks leave them out.

The geographic split of the pixel models: chips are grouped by blocks of ``block_deg``
degrees, and both chips of a pair fall in the same block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.chips.table import CHIP_BANDS, TIMES, read_chip, read_chips_table
from minescan.errors import MinescanInputError
from minescan.pixelmodels.features import Feature, build_features, compute_features
from minescan.pixelmodels.splits import assign_groups, spatial_blocks

LOG = logging.getLogger(__name__)


@dataclass
class Chips:
    # one row per chip image: chip_id, sample_id, time, category, label (of the pair),
    # longitude, latitude, valid, mine (t1 of a positive pair), window_end (or None)
    meta: pd.DataFrame
    data: np.ndarray  # (n, 48, 48, bands) float32 reflectance x 10000, clipped at 0
    folder: Path
    bands: tuple[str, ...] = CHIP_BANDS  # the last axis of ``data``

    def index_of(self, time: str) -> pd.Series:
        """Row of each pair's chip at ``time``, indexed by sample_id."""
        part = self.meta[self.meta["time"] == time]
        return pd.Series(part.index.to_numpy(), index=part["sample_id"].to_numpy())


def load_chips(folder: str | Path) -> Chips:
    folder = Path(folder)
    table = read_chips_table(folder)
    paths = {time: table[f"{time}_file"].tolist() for time in TIMES}
    absent = [str(p) for time in TIMES for p in paths[time] if not p.is_file()]
    if absent:
        raise MinescanInputError(
            str(folder / "chips.csv"),
            f"{len(absent)} image(s) it names are missing, e.g. {absent[:3]}",
            "t0_path/t1_path are relative to the chips folder",
        )
    rows, arrays = [], []
    for k, record in enumerate(table.itertuples(index=False)):
        for time in TIMES:
            path = paths[time][k]
            array = read_chip(path)
            arrays.append(np.clip(array, 0, None).astype(np.float32))
            end = getattr(record, f"{time}_end", "")
            rows.append(
                {
                    "chip_id": f"{record.sample_id}_{time}",
                    "sample_id": str(record.sample_id),
                    "time": time,
                    "category": str(record.category),
                    "label": int(record.label),
                    "longitude": float(record.longitude),
                    "latitude": float(record.latitude),
                    "window_end": str(end).strip() or None,
                    "path": str(path),
                }
            )
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise MinescanInputError(
            str(folder), f"chips of different shapes {sorted(shapes)}", "use one chip size"
        )
    meta = pd.DataFrame(rows)
    data = np.stack(arrays)
    meta["valid"] = data.reshape(len(data), -1).any(axis=1)
    meta["mine"] = ((meta["label"] == 1) & (meta["time"] == "t1")).astype(int)
    nodata = meta[~meta["valid"]]
    LOG.info(
        "%d chips from %d pairs; %d all-zero (no data) chips excluded from every task%s",
        len(meta),
        len(table),
        len(nodata),
        f": {', '.join(nodata['chip_id'].head(10))}" if len(nodata) else "",
    )
    return Chips(meta, data, folder)


def sample_pairs(chips: Chips, max_pairs: int | None, seed: int) -> Chips:
    """A seeded sample of at most ``max_pairs`` pairs, the same share of each label (both
    chips of a pair together); all pairs when None."""
    pairs = chips.meta.drop_duplicates("sample_id")
    if max_pairs is None or max_pairs >= len(pairs):
        return chips
    share = max_pairs / len(pairs)
    chosen = pairs.groupby("label", group_keys=False).sample(frac=share, random_state=seed)
    keep = np.flatnonzero(chips.meta["sample_id"].isin(chosen["sample_id"]).to_numpy())
    LOG.info("using %d of %d pairs (chips.max_pairs)", len(chosen), len(pairs))
    meta = chips.meta.iloc[keep].reset_index(drop=True)
    return Chips(meta, chips.data[keep], chips.folder, chips.bands)


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


def band_columns(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """(n, 6) reflectance -> the band-name mapping the feature code reads."""
    return {b: pixels[:, k] for k, b in enumerate(CHIP_BANDS)}


def pixel_table(
    chips: Chips,
    indices: np.ndarray,
    features: list[Feature],
    per_chip: int | None,
    seed: int,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and chip index for the pixels of the chips ``indices``
    (``per_chip`` pixels drawn at random from each, or all). Labels are the chip's ``mine``
    unless ``labels`` gives one per pixel, shaped (n chips, h, w)."""
    h, w = chips.data.shape[1:3]
    rng = np.random.default_rng(seed)
    parts, out_labels, owner = [], [], []
    for i in indices:
        pixels = chips.data[i].reshape(h * w, -1)
        chosen = np.arange(h * w)
        if per_chip is not None and per_chip < h * w:
            chosen = rng.choice(h * w, per_chip, replace=False)
        parts.append(pixels[chosen])
        if labels is None:
            out_labels.append(np.full(len(chosen), chips.meta["mine"].iat[i], dtype=np.float32))
        else:
            out_labels.append(labels[i].reshape(-1)[chosen].astype(np.float32))
        owner.append(np.full(len(chosen), i, dtype=np.int64))
    stacked = np.concatenate(parts)
    return (
        compute_features(band_columns(stacked), features),
        np.concatenate(out_labels),
        np.concatenate(owner),
    )


def patch_table(chips: Chips, indices: np.ndarray, features: list[Feature]) -> np.ndarray:
    """The chip as one patch: mean and standard deviation of every feature over its pixels."""
    h, w = chips.data.shape[1:3]
    rows = []
    for i in indices:
        pixels = chips.data[i].reshape(h * w, -1)
        X = compute_features(band_columns(pixels), features)
        rows.append(np.concatenate([X.mean(axis=0), X.std(axis=0)]))
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
