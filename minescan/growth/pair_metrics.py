"""Mine area and growth of chip pairs, measured against the polygons' with block intervals.

Per pair (a ``t0`` and a ``t1`` mask of the same place): the mine area at each date, the growth
``t1 - t0`` (net: lost area counts against it) and the new area (pixels mine at ``t1`` and not
at ``t0``), in m² from the pixel size. Agreement of a model's quantities with the polygons'
over the scored pairs: Pearson and Spearman correlation, mean absolute error in hectares and
the error of the total in %, each point figure with a 95 % interval from resampling whole
spatial blocks with replacement (pairs of one block are not independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from minescan.bootstrap import block_intervals as resample_blocks

QUANTITIES = ("area_t0", "area_t1", "growth", "new")
INTERVAL_FIGURES = ("pearson", "spearman", "mae_ha", "total_error_pct")
M2_PER_HA = 10_000.0


def pair_areas(t0: np.ndarray, t1: np.ndarray, pixel_m: float = 10.0) -> pd.DataFrame:
    """Per pair, from (n, h, w) 0/1 masks at t0 and t1: area_t0, area_t1, growth, new (m²)."""
    t0, t1 = np.asarray(t0, dtype=bool), np.asarray(t1, dtype=bool)
    if t0.shape != t1.shape:
        raise ValueError(f"t0 masks {t0.shape} and t1 masks {t1.shape} differ in shape")
    pixel = pixel_m * pixel_m
    a0 = t0.reshape(len(t0), -1).sum(axis=1) * pixel
    a1 = t1.reshape(len(t1), -1).sum(axis=1) * pixel
    new = (t1 & ~t0).reshape(len(t0), -1).sum(axis=1) * pixel
    return pd.DataFrame({"area_t0": a0, "area_t1": a1, "growth": a1 - a0, "new": new}).astype(float)


def _correlation(kind: str, predicted: np.ndarray, truth: np.ndarray) -> float:
    if len(truth) < 3 or np.ptp(predicted) == 0 or np.ptp(truth) == 0:
        return float("nan")
    method = stats.pearsonr if kind == "pearson" else stats.spearmanr
    return float(method(predicted, truth)[0])


def point_figures(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Correlations, mean absolute error (ha) and total error (%) of one quantity (m²)."""
    predicted, truth = np.asarray(predicted, float), np.asarray(truth, float)
    total_true, total_pred = truth.sum(), predicted.sum()
    return {
        "n": int(len(truth)),
        "pearson": _correlation("pearson", predicted, truth),
        "spearman": _correlation("spearman", predicted, truth),
        "mae_ha": float(np.abs(predicted - truth).mean() / M2_PER_HA) if len(truth) else np.nan,
        "true_total_ha": float(total_true / M2_PER_HA),
        "predicted_total_ha": float(total_pred / M2_PER_HA),
        "total_error_pct": (
            float(100.0 * (total_pred - total_true) / abs(total_true)) if total_true else np.nan
        ),
    }


def block_intervals(
    predicted: np.ndarray, truth: np.ndarray, blocks: np.ndarray, n_boot: int, seed: int
) -> dict[str, float]:
    """2.5 and 97.5 percentiles of INTERVAL_FIGURES over ``n_boot`` resamples of whole blocks."""
    arrays = (np.asarray(predicted, float), np.asarray(truth, float))
    return resample_blocks(arrays, blocks, point_figures, INTERVAL_FIGURES, n_boot, seed)


def agreement_table(
    pairs: pd.DataFrame, blocks: np.ndarray, n_boot: int, seed: int, by: str | None = None
) -> pd.DataFrame:
    """One row per model (and value of ``by``) and quantity. ``pairs`` holds ``model`` and,
    per quantity q, ``q_predicted`` and ``q_polygons`` in m²; ``blocks`` one block per row."""
    rows = []
    keys = ["model"] if by is None else ["model", by]
    frame = pairs.assign(_block=np.asarray(blocks))
    for key, part in frame.groupby(keys, sort=False):
        names = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        for q in QUANTITIES:
            predicted = part[f"{q}_predicted"].to_numpy()
            truth = part[f"{q}_polygons"].to_numpy()
            row = {**names, "quantity": q, **point_figures(predicted, truth)}
            if n_boot > 0:
                row.update(block_intervals(predicted, truth, part["_block"], n_boot, seed))
            rows.append(row)
    return pd.DataFrame(rows)


def block_totals(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs' quantities summed per scheme, model and spatial ``block`` (one row each): how
    well a region's growth is measured when per-pair errors partly cancel."""
    columns = [f"{q}_{s}" for q in QUANTITIES for s in ("predicted", "polygons")]
    return pairs.groupby(["scheme", "model", "block"], sort=False)[columns].sum().reset_index()


def label_agreement(truth: pd.DataFrame, min_new_m2: float) -> pd.DataFrame:
    """How a pair's chip category agrees with the polygons' growth, per category and for all
    pairs: the share of pairs whose polygon new area exceeds ``min_new_m2`` (``grew``), the
    share where category and polygons agree (a ``mining_emergence`` pair grew, another did
    not), the share whose centre pixel became mine, the mean new area and the mean polygon
    cover at t0 and t1. ``truth``: category, new_polygons, area_t0_polygons,
    area_t1_polygons, centre_new, chip_m2."""
    grew = truth["new_polygons"] > min_new_m2
    frame = truth.assign(
        grew=grew,
        agrees=(truth["category"] == "mining_emergence") == grew,
        cover_t0=truth["area_t0_polygons"] / truth["chip_m2"],
        cover_t1=truth["area_t1_polygons"] / truth["chip_m2"],
        new_ha=truth["new_polygons"] / M2_PER_HA,
    )
    parts = [frame, frame.assign(category="all")]
    return (
        pd.concat(parts, ignore_index=True)
        .groupby("category", sort=True)
        .agg(
            pairs=("grew", "size"),
            polygons_grew=("grew", "mean"),
            category_agrees=("agrees", "mean"),
            centre_became_mine=("centre_new", "mean"),
            mean_new_ha=("new_ha", "mean"),
            mean_cover_t0=("cover_t0", "mean"),
            mean_cover_t1=("cover_t1", "mean"),
        )
        .reset_index()
    )
