"""Input features: the bands, normalized differences of every band pair, and the named indices.

A feature is either a band or a normalized difference ``(a - b) / (a + b)`` of two bands; a
zero denominator gives 0 (the value Earth Engine's ``divide`` returns, so exported models
match). The named indices of the seed's Table 2 are normalized differences too; a pair that
equals a named index up to its sign is represented by the named index (listed as an alias),
so no two columns are identical or exact negatives of each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from minescan.errors import MinescanInputError

# Seed 002, Table 2 (band names as in the imagery: B8 for B08, B8A for the narrow NIR).
NAMED_INDICES: dict[str, tuple[str, str]] = {
    "NDVI": ("B8", "B4"),
    "NDRE": ("B8A", "B5"),
    "GNDVI": ("B8", "B3"),
    "NDMI": ("B8", "B11"),
    "MSI": ("B11", "B8"),
    "NDWI": ("B3", "B8"),
    "MNDWI": ("B3", "B11"),
    "NBR": ("B8", "B12"),
    "NBR2": ("B11", "B12"),
    "NDBI": ("B11", "B8"),
    "NDSI": ("B3", "B11"),
    "NDVI705": ("B5", "B4"),
    "NDTI": ("B4", "B3"),
    "AMWI": ("B4", "B2"),
}

# Smallest positive float32 offset: a + b + TINY == a + b for any reflectance sum >= 1,
# and 0 / TINY == 0 where both bands are 0, so no branch is needed for zero denominators.
TINY = np.float32(1e-30)


@dataclass(frozen=True)
class Feature:
    """One model input: a band (``b`` is None) or the normalized difference of bands a and b."""

    name: str
    a: str
    b: str | None = None
    aliases: tuple[str, ...] = field(default=())

    @property
    def bands(self) -> tuple[str, ...]:
        return (self.a,) if self.b is None else (self.a, self.b)

    @property
    def formula(self) -> str:
        return self.a if self.b is None else f"({self.a} - {self.b}) / ({self.a} + {self.b})"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "a": self.a,
            "b": self.b,
            "formula": self.formula,
            "bands": list(self.bands),
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_dict(cls, record: Mapping) -> Feature:
        return cls(record["name"], record["a"], record.get("b"), tuple(record.get("aliases", ())))


def pair_name(a: str, b: str) -> str:
    return f"ND_{a}_{b}"


def build_features(
    bands: Sequence[str], *, use_bands: bool = True, pairs: bool = True, indices: bool = True
) -> list[Feature]:
    """The feature list for ``bands``: bands, then named indices, then the remaining pairs.

    Named indices whose bands are missing are left out (e.g. NDRE without B5/B8A).
    """
    bands = list(bands)
    if len(set(bands)) != len(bands):
        raise MinescanInputError("models.features", f"duplicate band names in {bands}")
    features: list[Feature] = []
    if use_bands:
        features.extend(Feature(b, b) for b in bands)
    canonical: dict[frozenset[str], int] = {}  # unordered band pair -> index in `named`
    named: list[Feature] = []
    if indices:
        for name, (a, b) in NAMED_INDICES.items():
            if a not in bands or b not in bands:
                continue
            key = frozenset((a, b))
            if key in canonical:  # same pair, e.g. NDBI == MSI, NDSI == MNDWI
                first = named[canonical[key]]
                named[canonical[key]] = Feature(
                    first.name, first.a, first.b, (*first.aliases, name)
                )
            else:
                canonical[key] = len(named)
                named.append(Feature(name, a, b))
    if pairs:
        for a, b in combinations(bands, 2):
            key = frozenset((a, b))
            if key in canonical:
                first = named[canonical[key]]
                named[canonical[key]] = Feature(
                    first.name, first.a, first.b, (*first.aliases, pair_name(a, b))
                )
            else:
                named.append(Feature(pair_name(a, b), a, b))
    # named indices first, then the plain pairs, in band order
    return features + named


def normalized_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a - b) / (a + b) in float32, 0 where a + b == 0 (bands are non-negative)."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    den = a + b
    out = np.zeros_like(den)
    np.divide(a - b, den, out=out, where=den != 0)
    return out


def compute_features(columns: Mapping[str, np.ndarray], features: Sequence[Feature]) -> np.ndarray:
    """Feature matrix (n, len(features)), float32, from a mapping band name -> values."""
    missing = sorted({b for f in features for b in f.bands} - set(columns))
    if missing:
        raise MinescanInputError(
            "pixel table",
            f"bands {missing} needed by the features are missing",
            "check imagery.bands against the bands the model was trained on",
        )
    cache = {b: np.asarray(columns[b], dtype=np.float32) for f in features for b in f.bands}
    n = len(next(iter(cache.values()))) if cache else 0
    out = np.empty((n, len(features)), dtype=np.float32)
    for j, f in enumerate(features):
        out[:, j] = cache[f.a] if f.b is None else normalized_difference(cache[f.a], cache[f.b])
    return out
