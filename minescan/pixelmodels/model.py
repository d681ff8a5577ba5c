"""A fitted linear pixel model as it is deployed: features, weights on the raw feature scale and
its link, applied with numpy alone (scanning jobs must not import scikit-learn to apply it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import expit

from minescan.outputs import write_json
from minescan.pixelmodels.features import Feature, compute_features


@dataclass
class Standardizer:
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        mean = X.mean(axis=0, dtype=np.float64)
        scale = X.std(axis=0, dtype=np.float64)
        return cls(mean, np.where(scale > 0, scale, 1.0))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale


@dataclass
class LinearModel:
    """``link(intercept + sum_j weights_j * feature_j)`` on raw features; the probability of
    a mine is the logistic of the score, or for the identity link the score mapped by
    ``output_scale * s + output_offset`` and clipped to [0, 1]."""

    features: list[Feature]
    weights: np.ndarray
    intercept: float
    link: str
    output_scale: float = 1.0
    output_offset: float = 0.0
    meta: dict = field(default_factory=dict)

    def sparse(self) -> LinearModel:
        """The same model restricted to its non-zero weights (what the tiles get)."""
        keep = np.flatnonzero(self.weights != 0)
        return LinearModel(
            [self.features[i] for i in keep],
            self.weights[keep].copy(),
            self.intercept,
            self.link,
            self.output_scale,
            self.output_offset,
            dict(self.meta),
        )

    @property
    def bands(self) -> list[str]:
        seen: dict[str, None] = {}
        for f, w in zip(self.features, self.weights, strict=True):
            if w != 0:
                seen.update(dict.fromkeys(f.bands))
        return list(seen)

    def decision(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        model = self.sparse()
        X = compute_features(columns, model.features).astype(np.float64)
        return X @ model.weights + model.intercept

    def probability(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        return self.score_to_probability(self.decision(columns))

    def score_to_probability(self, score: np.ndarray) -> np.ndarray:
        if self.link == "logistic":
            return expit(score)
        return np.clip(score * self.output_scale + self.output_offset, 0.0, 1.0)

    def to_dict(self) -> dict:
        return {
            "features": [f.to_dict() for f in self.features],
            "weights": [float(w) for w in self.weights],
            "intercept": float(self.intercept),
            "link": self.link,
            "output_scale": float(self.output_scale),
            "output_offset": float(self.output_offset),
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, record: Mapping) -> LinearModel:
        return cls(
            [Feature.from_dict(f) for f in record["features"]],
            np.asarray(record["weights"], dtype=np.float64),
            float(record["intercept"]),
            record["link"],
            float(record.get("output_scale", 1.0)),
            float(record.get("output_offset", 0.0)),
            dict(record.get("meta", {})),
        )

    def save(self, path: str | Path, provenance: dict) -> None:
        write_json(self.to_dict(), path, provenance)

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        return cls.from_dict(json.loads(Path(path).read_text()))
