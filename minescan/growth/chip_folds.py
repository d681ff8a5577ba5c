"""Out-of-fold masks of the chip pairs: every pair's ``t0`` and ``t1`` chips segmented by models
that never saw its fold (or its longitude band), for the U-Net and a pixel-model baseline.

The folds are the real-chips stage's (``minescan.chips.folds``): ``spatial_cv`` puts whole
blocks of ``block_deg`` degrees in one of ``k`` folds (stratified by the pair label), and test
fold ``i`` trains on the others but ``(i + 1) % k``, which chooses the epoch and the threshold;
``region_out`` holds out bands of longitude, the next band validates, and places within
``buffer_deg`` of the held-out band neither train nor validate. Both chips of a pair share a
fold. Pixel model: gradient boosting on the pixel stage's per-pixel features (bands and
normalised differences) of ``pixels_per_chip`` pixels per training chip, threshold at the best
validation IoU.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from minescan.chips.folds import RegionOut, block_folds, fold_roles, region_folds, region_roles
from minescan.chips.load import Chips, chip_features, pixel_table
from minescan.growth.chip_segment import (
    ChipSegmenterOptions,
    train_chip_segmenter,
    validation_scores,
)
from minescan.pixelmodels.families import fit_classifier, positive_probability

LOG = logging.getLogger(__name__)
UNET, PIXEL = "unet", "pixel_gradient_boosting"


@dataclass
class FoldMasks:
    masks: dict[str, np.ndarray]  # model -> (n chips, h, w) bool; False where not scored
    folds: pd.DataFrame  # one row per pair and scheme: sample_id, scheme, fold
    history: pd.DataFrame  # per scheme, fold and epoch (U-Net)


def pair_frame(chips: Chips) -> pd.DataFrame:
    """One row per pair: sample_id, category, label, longitude, latitude, rows of its t0
    and t1 chips, ``valid`` (both dates hold data) and ``y`` (the pair label, for the folds'
    strata)."""
    meta = chips.meta
    t0, t1 = chips.index_of("t0"), chips.index_of("t1")
    pairs = meta.loc[t0.to_numpy(), ["sample_id", "category", "label", "longitude", "latitude"]]
    pairs = pairs.reset_index(drop=True)
    pairs["t0"] = t0.reindex(pairs["sample_id"]).to_numpy()
    pairs["t1"] = t1.reindex(pairs["sample_id"]).to_numpy()
    valid = meta["valid"].to_numpy()
    pairs["valid"] = valid[pairs["t0"]] & valid[pairs["t1"]]
    pairs["y"] = pairs["label"].astype(float)
    return pairs


def scheme_roles(
    pairs: pd.DataFrame, scheme: str, k: int, block_deg: float, region_out: RegionOut, seed: int
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """The fold of every pair and the pair positions of train, validation, test per fold."""
    if scheme == "spatial_cv":
        folds = block_folds(pairs, block_deg, k, seed)
        return folds, [fold_roles(folds, i, k) for i in range(k)]
    folds, _ = region_folds(pairs, region_out)
    coordinates = pairs[region_out.axis].to_numpy(dtype=float)
    n = region_out.regions
    return folds, [region_roles(folds, coordinates, i, n, region_out.buffer_deg) for i in range(n)]


def _chip_rows(pairs: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """The t0 and t1 chip rows of the valid pairs at ``positions``."""
    part = pairs.iloc[positions]
    part = part[part["valid"]]
    return np.concatenate([part["t0"].to_numpy(), part["t1"].to_numpy()]).astype(np.int64)


def partners(chips: Chips) -> tuple[np.ndarray, np.ndarray]:
    """Per chip row: the row of the other date of its pair, and its role (0: t0, 1: t1)."""
    pairs = pair_frame(chips)
    other = np.empty(len(chips.meta), dtype=np.int64)
    other[pairs["t0"].to_numpy()] = pairs["t1"].to_numpy()
    other[pairs["t1"].to_numpy()] = pairs["t0"].to_numpy()
    return other, (chips.meta["time"] == "t1").to_numpy().astype(np.float32)


def chip_inputs(chips: Chips, rows: np.ndarray, paired: bool):
    """What the segmenter sees of the chips ``rows``: (n, h, w, bands), or for a paired one
    (n, 2, h, w, bands) (the chip, then its pair's other date) and the role of each."""
    if not paired:
        return chips.data[rows], None
    other, role = partners(chips)
    return np.stack([chips.data[rows], chips.data[other[rows]]], axis=1), role[rows]


def pixel_model_masks(
    chips: Chips,
    mine: np.ndarray,
    rows: dict[str, np.ndarray],
    pixels_per_chip: int,
    seed: int,
    threads: int = 1,
) -> np.ndarray:
    """(n test chips, h, w) masks of the pixel model trained on ``rows['train']``."""
    features = chip_features()
    X, y, _ = pixel_table(chips, rows["train"], features, pixels_per_chip, seed, mine)
    clf = fit_classifier("hist_gradient_boosting", X, y, seed, threads)
    h, w = mine.shape[1:]

    def probability(index: np.ndarray) -> np.ndarray:
        Xs, _, _ = pixel_table(chips, index, features, None, seed, mine)
        return positive_probability(clf, Xs, threads).reshape(len(index), h, w)

    val = rows["validation"]
    scores = validation_scores(probability(val), mine[val], chips.data[val].any(axis=-1))
    threshold = max(scores, key=lambda t: np.nan_to_num(scores[t], nan=-1.0))
    test = rows["test"]
    return (probability(test) >= threshold) & chips.data[test].any(axis=-1)


def out_of_fold_masks(
    chips: Chips,
    mine: np.ndarray,
    schemes: tuple[str, ...],
    *,
    k: int,
    block_deg: float,
    region_out: RegionOut,
    options: ChipSegmenterOptions,
    pixel_baseline: bool,
    pixels_per_chip: int,
    seed: int,
    threads: int = 1,
) -> dict[str, FoldMasks]:
    """Per scheme, every valid pair's chips segmented out of fold."""
    pairs = pair_frame(chips)
    models = [UNET] + ([PIXEL] if pixel_baseline else [])
    out = {}
    for scheme in schemes:
        folds, roles = scheme_roles(pairs, scheme, k, block_deg, region_out, seed)
        masks = {m: np.zeros(mine.shape, dtype=bool) for m in models}
        histories = []
        for fold, role in enumerate(roles):
            rows = {name: _chip_rows(pairs, positions) for name, positions in role.items()}
            LOG.info(
                "%s fold %d/%d: %d train, %d validation, %d test chips",
                scheme,
                fold + 1,
                len(roles),
                len(rows["train"]),
                len(rows["validation"]),
                len(rows["test"]),
            )
            started = time.perf_counter()
            x = {name: chip_inputs(chips, r, options.paired) for name, r in rows.items()}
            segmenter = train_chip_segmenter(
                x["train"][0],
                mine[rows["train"]],
                x["validation"][0],
                mine[rows["validation"]],
                options,
                x["train"][1],
                x["validation"][1],
            )
            masks[UNET][rows["test"]] = segmenter.mask(*x["test"])
            histories.append(
                segmenter.history.assign(
                    scheme=scheme, fold=fold, threshold_kept=segmenter.threshold
                )
            )
            LOG.info("  U-Net: %.0f s", time.perf_counter() - started)
            if pixel_baseline:
                started = time.perf_counter()
                masks[PIXEL][rows["test"]] = pixel_model_masks(
                    chips, mine, rows, pixels_per_chip, seed, threads
                )
                LOG.info("  pixel model: %.0f s", time.perf_counter() - started)
        table = pairs[["sample_id"]].assign(scheme=scheme, fold=folds)
        out[scheme] = FoldMasks(masks, table, pd.concat(histories, ignore_index=True))
    return out
