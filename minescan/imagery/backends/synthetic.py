"""Simulated Sentinel-2 reflectance, deterministic per cell: the embedded demo runs anywhere.

Each cell is a mixture of vegetation and bare soil with rivers and lakes, and mining surfaces
(open pits, tailings, settling ponds) inside the polygons. Spectra are typical surface
reflectance x 10000 of these covers; 20 m and 60 m bands are simulated at their native
resolution (block means, or a moving mean where the cell does not divide into their pixels);
noise is multiplicative and additive. Every output is tagged ``simulated``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from minescan.cells import Cell
from minescan.imagery.bands import BANDS, DEFAULT_BANDS, check_bands
from minescan.imagery.tile import CellImage, to_uint16_reflectance

SPECTRAL = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
# Typical surface reflectance x 10000 per cover, in the order of SPECTRAL.
SPECTRA: dict[str, tuple[int, ...]] = {
    "vegetation": (300, 250, 520, 280, 900, 2500, 3000, 3200, 3300, 3100, 15, 1600, 700),
    "soil": (1000, 1100, 1400, 1700, 1900, 2050, 2150, 2250, 2350, 2300, 30, 3000, 2500),
    "water": (650, 600, 520, 350, 300, 200, 180, 150, 130, 100, 8, 80, 60),
    "open_pit": (1100, 1200, 1450, 1700, 1850, 1950, 2050, 2150, 2200, 2150, 30, 2600, 2300),
    "tailings": (1800, 2000, 2300, 2550, 2650, 2750, 2850, 2950, 3000, 2900, 40, 3300, 2800),
    "pond": (900, 1000, 1350, 1250, 1050, 650, 560, 500, 450, 300, 12, 200, 150),
}
SPECTRUM_INDEX = {name: i for i, name in enumerate(SPECTRAL)}


def cell_seed(seed: int, cell_id: str) -> int:
    digest = hashlib.sha256(f"{seed}:{cell_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """Spatially correlated noise scaled to zero mean and unit variance (float32).

    The Gaussian blur runs in the frequency domain: its cost does not grow with ``sigma_px``
    (a spatial blur of hundreds of metres at 10 m was half the cost of a tile), and its
    periodic boundary is the ``wrap`` mode of a spatial filter.
    """
    noise = rng.standard_normal(shape, dtype=np.float32)
    spectrum = ndimage.fourier_gaussian(np.fft.rfft2(noise), sigma_px, n=shape[1])
    field = np.fft.irfft2(spectrum, s=shape).astype(np.float32)
    return (field - field.mean()) / (field.std() + 1e-12)


def simulate_cover(
    rng: np.random.Generator, mine: np.ndarray, pixel_size: float
) -> dict[str, np.ndarray]:
    """Per-pixel fraction of each cover (fractions sum to 1)."""
    shape = mine.shape
    scale = 100.0 / pixel_size  # features of a few hundred metres
    vegetation = 1 / (1 + np.exp(-2.5 * (smooth_field(rng, shape, 3 * scale) + 0.8)))
    water = (smooth_field(rng, shape, 4 * scale) < -1.9).astype(float)
    kind = smooth_field(rng, shape, 1.5 * scale)
    inside = mine.astype(bool)
    fractions = {
        "vegetation": vegetation * (1 - water),
        "soil": (1 - vegetation) * (1 - water),
        "water": water,
        "open_pit": np.zeros(shape),
        "tailings": np.zeros(shape),
        "pond": np.zeros(shape),
    }
    for name in ("vegetation", "soil", "water"):
        fractions[name][inside] = 0.0
    fractions["pond"][inside] = (kind[inside] < -0.9).astype(float)
    fractions["tailings"][inside] = ((kind[inside] >= -0.9) & (kind[inside] < 0.1)).astype(float)
    open_pit = inside & (kind >= 0.1)
    fractions["open_pit"][open_pit] = 0.85
    fractions["vegetation"][open_pit] = 0.15  # sparse regrowth on pit edges and benches
    return fractions


@dataclass
class SyntheticBackend:
    bands: tuple[str, ...] = DEFAULT_BANDS
    seed: int = 0
    noise: float = 0.03
    concurrency: int = 1
    name: str = "synthetic"
    simulated: bool = True

    @classmethod
    def from_config(cls, imagery: Mapping[str, Any], threads: int = 1) -> SyntheticBackend:
        options = imagery.get("synthetic") or {}
        return cls(
            bands=check_bands(imagery.get("bands", DEFAULT_BANDS)),
            seed=int(options.get("seed", 0)),
            noise=float(options.get("noise", 0.03)),
            concurrency=max(1, threads),
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": "synthetic",
            "simulated": "true",
            "source": "SIMULATED Sentinel-2-like reflectance (not real imagery)",
            "dates": "none (simulated)",
            "cloud_mask": "none (simulated, cloud free)",
            "synthetic_seed": str(self.seed),
        }

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        rng = np.random.default_rng(cell_seed(self.seed, cell.cell_id))
        fractions = simulate_cover(rng, mine, cell.pixel_size)
        # Each band is the covers' spectra weighted by their fractions: one matrix product.
        covers = np.stack([f.astype(np.float32).ravel() for f in fractions.values()])
        weights = np.asarray([SPECTRA[c] for c in fractions], dtype=np.float32).T
        spectral = (weights @ covers).reshape(len(SPECTRAL), *cell.shape)
        brightness = 1 + 0.08 * smooth_field(rng, cell.shape, 10.0)  # illumination, moisture
        spectral *= brightness
        out = []
        for name in self.bands:
            out.append(self._band(name, spectral, rng, cell.pixel_size))
        data = np.stack(out)
        valid = np.ones(cell.shape, dtype=bool)
        return CellImage(self.bands, to_uint16_reflectance(data, valid), self.describe())

    def _band(
        self, name: str, spectral: np.ndarray, rng: np.random.Generator, pixel_size: float
    ) -> np.ndarray:
        shape = spectral.shape[1:]
        if name == "AOT":
            return 150 + 20 * smooth_field(rng, shape, 50.0)
        if name.startswith("TCI_"):
            source = {"TCI_R": "B4", "TCI_G": "B3", "TCI_B": "B2"}[name]
            return np.clip(spectral[SPECTRUM_INDEX[source]] / 2000 * 255, 1, 255)
        band = spectral[SPECTRUM_INDEX[name]]
        size = max(1, round(BANDS[name].resolution_m / pixel_size))
        if size > 1 and shape[0] % size == 0 and shape[1] % size == 0:
            # A 20 m band on a 10 m grid: simulated at 20 m, as the sensor sees it (a block
            # mean with its own noise), then each pixel repeated, as nearest resampling does.
            coarse = band.reshape(shape[0] // size, size, shape[1] // size, size).mean(axis=(1, 3))
            noisy = self._noisy(coarse, rng)
            return np.repeat(np.repeat(noisy, size, axis=0), size, axis=1)
        if size > 1:
            band = ndimage.uniform_filter(band, size=size, mode="nearest")
        return self._noisy(band, rng)

    def _noisy(self, band: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Multiplicative (relative ``noise``) and additive (15) Gaussian noise, drawn as the
        one Gaussian their sum is: half the random numbers."""
        spread = np.hypot(self.noise * band, 15.0, dtype=np.float32)
        return band + spread * rng.standard_normal(band.shape, dtype=np.float32)
