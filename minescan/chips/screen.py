"""A chip screen described as data: which Level-1C bands in which order, how digital numbers
become the network's input, the window size, and the thresholds it is operated at.

The scanner (``minescan.chips.scene_scan``) reads bands and cuts windows; everything specific
to a model, its radiometry included, lives here, so AMW's multiband models
(``clip(DN / 10000, 0, 1)``) and minescan's gallery RGB model (``clip(DN / 3000, 0, 1)``) scan
the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minescan.errors import MinescanInputError


@dataclass(frozen=True)
class ScaleClip:
    """``clip(DN / divisor, 0, 1)``, per band alike."""

    divisor: float

    def __call__(self, dn: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(dn, np.float32) / np.float32(self.divisor), 0, 1)

    def describe(self) -> str:
        return f"clip(DN / {self.divisor:g}, 0, 1)"


@dataclass(frozen=True)
class ZScore:
    """``(DN - mean) / deviation`` per band, no clipping."""

    means: tuple[float, ...]
    deviations: tuple[float, ...]

    def __call__(self, dn: np.ndarray) -> np.ndarray:
        if np.shape(dn)[-1] != len(self.means):
            raise MinescanInputError(
                "chips", f"{np.shape(dn)[-1]} bands where the z-score has {len(self.means)}"
            )
        m = np.asarray(self.means, np.float32)
        d = np.asarray(self.deviations, np.float32)
        return (np.asarray(dn, np.float32) - m) / d

    def describe(self) -> str:
        pairs = ", ".join(
            f"({m:g}, {d:g})" for m, d in zip(self.means, self.deviations, strict=True)
        )
        return f"(DN - mean) / deviation per band, (mean, deviation) = {pairs}"


@dataclass
class ChipScreen:
    """A window classifier over Level-1C digital numbers.

    ``predict`` maps normalised (n, size, size, bands) chips to the mining probability (n,);
    ``thresholds`` are named operating points, ``dual_threshold`` an optional
    ``(t_main, t_iso)`` spatial prior (see ``minescan.chips.scene_scan.dual_threshold``).
    ``kind`` is "patch" so ``minescan.chips.raster.score_windows`` accepts it.
    """

    name: str
    bands: tuple[str, ...]
    size: int
    normalise: Callable[[np.ndarray], np.ndarray]
    predict: Callable[[np.ndarray], np.ndarray]
    thresholds: dict[str, float]
    dual_threshold: tuple[float, float] | None = None
    kind: str = "patch"
    notes: dict[str, str] = field(default_factory=dict)
    network: Any = None  # the rebuilt network, for per-member scores and checks

    def probability(self, dn: np.ndarray) -> np.ndarray:
        """Mining probability of (n, size, size, bands) chips of Level-1C digital numbers."""
        dn = np.asarray(dn)
        if dn.ndim != 4 or dn.shape[1:] != (self.size, self.size, len(self.bands)):
            raise MinescanInputError(
                "chips",
                f"array of shape {dn.shape} does not fit {self.name}, which takes "
                f"(n, {self.size}, {self.size}, {len(self.bands)}) in band order "
                f"{', '.join(self.bands)}",
            )
        return self.predict(self.normalise(dn))
