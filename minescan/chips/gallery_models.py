"""Presence models on single-date gallery chips: CNN recipes, the colour-percentile baseline,
and operating thresholds chosen on validation places.

A recipe is a ``TrainSettings`` and a member count; its ensemble is the members' mean. The
members of one ensemble share the normaliser fitted on the training rows, so each member can be
trained on its own (in parallel, on another process or GPU) and joined afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier

from minescan.chips.cnn import Ensemble, Normaliser, TrainSettings, train_member
from minescan.chips.load import Chips
from minescan.chips.metrics import specificity_threshold

LOG = logging.getLogger(__name__)
PERCENTILES = (5, 25, 50, 75, 95)
SPECIFICITIES = (0.99, 0.998)


@dataclass(frozen=True)
class Recipe:
    name: str
    settings: TrainSettings
    members: int = 6


def member_seed(seed: int, member: int) -> int:
    return int(seed) * 1000 + int(member)


def fit_normaliser(chips: Chips, rows: np.ndarray, settings: TrainSettings) -> Normaliser:
    return Normaliser.fit(chips.data[rows], settings.standardise, settings.indices)


def fit_member(
    chips: Chips,
    train: np.ndarray,
    validation: np.ndarray,
    settings: TrainSettings,
    seed: int,
) -> tuple[torch.nn.Module, Normaliser, dict]:
    """One member trained on rows ``train``, early-stopped on rows ``validation``."""
    normaliser = fit_normaliser(chips, train, settings)
    raw = chips.data[train]
    y = chips.meta["mine"].to_numpy()
    net, info = train_member(
        "patch",
        normaliser(raw),
        y[train],
        normaliser(chips.data[validation]),
        y[validation],
        settings,
        seed,
        raw,
        normaliser,
        chips.bands,
    )
    return net, normaliser, info


def member_scores(
    net: torch.nn.Module, normaliser: Normaliser, data: np.ndarray, batch: int = 1024
) -> np.ndarray:
    """Probabilities of one member for (n, h, w, bands) chips."""
    dev = next(net.parameters()).device
    out = np.empty(len(data), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, len(data), batch):
            x = normaliser(data[i : i + batch]).to(dev)
            out[i : i + batch] = torch.sigmoid(net(x)).cpu().numpy()
    return out


def operating_thresholds(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """Thresholds chosen on validation chips: best F1, and for each specificity in
    ``SPECIFICITIES`` the lowest threshold leaving at most that share of negatives flagged."""
    y = np.asarray(y) > 0.5
    order = np.sort(np.unique(score))
    candidates = order[:: max(1, len(order) // 400)]
    f1 = [2 * np.sum(y & (score >= t)) / (y.sum() + np.sum(score >= t)) for t in candidates]
    out = {"best_f1": float(candidates[int(np.argmax(f1))])}
    for s in SPECIFICITIES:
        out[f"specificity_{s:g}"] = specificity_threshold(y, score, s)
    return out


def percentile_features(data: np.ndarray) -> np.ndarray:
    """Per chip and band: percentiles of the gallery-scaled values, mean and spread, and the
    median ratios of the bands (colour without brightness)."""
    x = np.clip(data / 3000.0, 0, 1).reshape(len(data), -1, data.shape[-1])
    pct = np.percentile(x, PERCENTILES, axis=1)  # (p, n, bands)
    median = pct[PERCENTILES.index(50)]
    total = median.sum(axis=1, keepdims=True) + 1e-6
    parts = [pct.transpose(1, 0, 2).reshape(len(data), -1), x.mean(axis=1), x.std(axis=1)]
    return np.concatenate([*parts, median / total], axis=1).astype(np.float32)


def fit_baseline(data: np.ndarray, y: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    """Gradient boosting on ``percentile_features``: the floor a CNN must beat."""
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=seed)
    return model.fit(percentile_features(data), np.asarray(y).astype(int))


def join_members(
    members: list[torch.nn.Module],
    normaliser: Normaliser,
    recipe: Recipe,
    thresholds: dict[str, float],
    info: list[dict],
    band_names: tuple[str, ...],
) -> Ensemble:
    """Members trained apart, as one ensemble with its validation thresholds."""
    s = recipe.settings
    return Ensemble(
        "patch",
        s.width,
        normaliser,
        [m.cpu().eval() for m in members],
        thresholds["best_f1"],
        info,
        s.depth,
        s.tta,
        thresholds["specificity_0.99"],
        s.arch,
        band_names,
        dict(thresholds),
    )


def train_gallery_model(
    chips: Chips, recipe: Recipe, seed: int = 0, share: float = 0.15
) -> Ensemble:
    """The recipe's ensemble on every chip but a validation share of the places (early
    stopping and the operating thresholds)."""
    from minescan.chips.gallery_splits import validation_places

    train, validation = validation_places(chips.meta, np.arange(len(chips.meta)), share, seed)
    nets, info, scores = [], [], []
    for member in range(recipe.members):
        net, normaliser, record = fit_member(
            chips, train, validation, recipe.settings, member_seed(seed, member)
        )
        nets.append(net)
        info.append(record)
        scores.append(member_scores(net, normaliser, chips.data[validation]))
        LOG.info("member %d of %d: %d epochs", member + 1, recipe.members, record["epochs_run"])
    y = chips.meta["mine"].to_numpy()[validation]
    thresholds = operating_thresholds(y, np.mean(scores, axis=0))
    return join_members(nets, normaliser, recipe, thresholds, info, chips.bands)
