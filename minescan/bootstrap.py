"""Percentile intervals from resampling whole spatial blocks with replacement.

Rows of one block (chips or pairs of one 1-degree cell) are not independent, so the blocks,
not the rows, are drawn; every figure's interval is the 2.5 and 97.5 percentiles of its
finite resampled values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


def block_intervals(
    arrays: Sequence[np.ndarray],
    blocks: np.ndarray,
    statistic: Callable[..., Mapping[str, float]],
    figures: Sequence[str],
    n_boot: int,
    seed: int,
) -> dict[str, float]:
    """``{figure}_lo`` and ``{figure}_hi`` of ``statistic(*arrays[rows])`` over ``n_boot``
    block resamples."""
    arrays = [np.asarray(a) for a in arrays]
    uniq, inverse = np.unique(np.asarray(blocks), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {f: [] for f in figures}
    for _ in range(n_boot):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(uniq), len(uniq))])
        sample = statistic(*(a[rows] for a in arrays))
        for figure in figures:
            values[figure].append(sample[figure])
    out = {}
    for figure in figures:
        v = np.asarray(values[figure], dtype=float)
        v = v[np.isfinite(v)]
        lo, hi = np.percentile(v, [2.5, 97.5]) if v.size else (np.nan, np.nan)
        out[f"{figure}_lo"], out[f"{figure}_hi"] = float(lo), float(hi)
    return out
