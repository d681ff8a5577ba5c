"""Simulated Sentinel-2 reflectance, deterministic per cell: the embedded demo runs anywhere.

Each cell is a mixture of vegetation and bare soil with rivers and lakes, and mining surfaces
(open pits, tailings, settling ponds) inside the polygons. Spectra are typical surface
reflectance x 10000 of these covers; 20 m and 60 m bands are simulated at their native
resolution (block means with their own noise, each block then repeated as nearest resampling
does); noise is multiplicative and additive. Every output is tagged ``simulated``.

A cell's pixels depend only on the seed and the cell (its id, grid and mine mask), never on
the other cells of its shard. The simulation sets the demo's pace, so it is written for speed:
a cell's random numbers come in a few vectorised draws, its smooth fields are synthesised from
a few hundred random numbers each, and all arithmetic is float32.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from minescan.cells import Cell
from minescan.imagery.bands import BANDS, DEFAULT_BANDS, check_bands
from minescan.imagery.tile import CellImage

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
COVERS = tuple(SPECTRA)
SPECTRUM_INDEX = {name: i for i, name in enumerate(SPECTRAL)}
TCI_SOURCE = {"TCI_R": "B4", "TCI_G": "B3", "TCI_B": "B2"}
ADDITIVE_NOISE = 15.0  # reflectance x 10000, besides the relative ``noise``
# The standard normal quantiles at the centres of 65536 equal-probability bins: one 16-bit
# random number each gives a standard normal number (tails cut at 4.3 sigma) at a quarter of
# the cost of numpy's own sampler, which was a third of the simulation's time.
NORMAL_QUANTILES = ndtri((np.arange(65536) + 0.5) / 65536).astype(np.float32)
# The white noise under a smooth field is drawn only at the frequencies a Gaussian of width
# sigma passes (up to about COARSE_SIGMA_PX / (2 sigma) cycles per pixel, where its gain is
# below 1e-7 on cells of 64 px or more): the field is the same random process as a blur of
# full-resolution noise, for a few hundred random numbers instead of one per pixel.
COARSE_SIGMA_PX = 2.0


def cell_seed(seed: int, cell_id: str) -> int:
    digest = hashlib.sha256(f"{seed}:{cell_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def standard_normal(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` standard normal float32 numbers: the quantile of a 16-bit random number each."""
    raw = rng.bit_generator.random_raw(-(-count // 4))
    bits = raw.astype("<u8", copy=False).view("<u2")[:count]  # the same on any byte order
    return NORMAL_QUANTILES[bits]


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """Periodic white noise blurred by a Gaussian of ``sigma_px``, scaled to zero mean and unit
    variance (float32).

    The noise is drawn on a grid ``factor`` times coarser than the cell, where the Gaussian is
    still ``COARSE_SIGMA_PX`` pixels wide, and its spectrum, blurred, is placed at the cell's
    lowest frequencies: the inverse transform at the cell's size interpolates it exactly.
    """
    height, width = shape
    factor = max(1, int(sigma_px // COARSE_SIGMA_PX))
    rows, cols = -(-height // factor), -(-width // factor)
    spectrum = np.fft.rfft2(standard_normal(rng, rows * cols).reshape(rows, cols))
    keep_rows = min((rows - 1) // 2, (height - 1) // 2)  # no Nyquist terms: no power there
    keep_cols = min((cols - 1) // 2, (width - 1) // 2)
    kept = np.r_[0 : keep_rows + 1, rows - keep_rows : rows]  # frequencies 0..k, then -k..-1
    fine = np.r_[0 : keep_rows + 1, height - keep_rows : height]  # the same on the cell's grid
    fy = np.fft.fftfreq(height)[fine, None]
    fx = np.fft.rfftfreq(width)[None, : keep_cols + 1]
    gain = np.exp(-2 * (np.pi * sigma_px) ** 2 * (fy**2 + fx**2))
    gain[0, 0] = 0  # zero mean
    blurred = spectrum[kept, : keep_cols + 1] * gain
    # Unit variance: the field's mean square is the spectrum's power over (height x width)^2
    # (Parseval), columns 1.. counted twice for their mirror images in the real transform.
    power = np.square(np.abs(blurred))
    std = np.sqrt(power[:, 0].sum() + 2 * power[:, 1:].sum()) / (height * width)
    columns = np.zeros((height, keep_cols + 1), dtype=np.complex64)
    columns[fine] = blurred / (std + 1e-12)
    # Rows first on the few columns that carry power, then the real transform along the rows.
    half = np.zeros((height, width // 2 + 1), dtype=np.complex64)
    half[:, : keep_cols + 1] = np.fft.ifft(columns, axis=0)
    return np.fft.irfft(half, n=width, axis=1).astype(np.float32, copy=False)


def simulate_cover(rng: np.random.Generator, mine: np.ndarray, pixel_size: float) -> np.ndarray:
    """Per-pixel fraction of each cover of ``COVERS`` (cover, row, col); fractions sum to 1."""
    shape = mine.shape
    scale = 100.0 / pixel_size  # features of a few hundred metres
    greenness = smooth_field(rng, shape, 3 * scale)
    greenness += 0.8
    greenness *= -2.5
    np.exp(greenness, out=greenness)
    greenness += 1
    np.reciprocal(greenness, out=greenness)  # the logistic 1 / (1 + exp(-2.5 (field + 0.8)))
    land = (smooth_field(rng, shape, 4 * scale) >= -1.9).astype(np.float32)  # else water
    kind = smooth_field(rng, shape, 1.5 * scale)
    fractions = np.empty((len(COVERS), *shape), dtype=np.float32)
    vegetation, soil, water, open_pit, tailings, pond = fractions
    np.multiply(greenness, land, out=vegetation)
    np.subtract(land, vegetation, out=soil)
    np.subtract(1, land, out=water)
    # Inside the polygons: open pits (with some regrowth), tailings or ponds, by a third field.
    inside = mine.astype(bool)
    np.copyto(fractions[:3], 0, where=inside)
    pit = inside & (kind >= 0.1)
    np.multiply(pit, np.float32(0.85), out=open_pit)
    np.copyto(vegetation, 0.15, where=pit)  # sparse regrowth on pit edges and benches
    tailings[...] = inside & (kind >= -0.9) & (kind < 0.1)
    pond[...] = inside & (kind < -0.9)
    return fractions


def block_mean(band: np.ndarray, size: int) -> np.ndarray:
    """Means of ``size`` x ``size`` blocks from the top left; a cell that does not divide into
    blocks gets partial blocks at its right and bottom edges (edge pixels repeated)."""
    height, width = band.shape
    rows, cols = -(-height // size), -(-width // size)
    if (rows * size, cols * size) != band.shape:
        band = np.pad(band, ((0, rows * size - height), (0, cols * size - width)), mode="edge")
    across = sum(band[:, i::size] for i in range(size))
    return sum(across[i::size] for i in range(size)) * np.float32(1 / size**2)


def repeat_pixels(coarse: np.ndarray, size: int, out: np.ndarray) -> None:
    """Each pixel of ``coarse`` as ``size`` x ``size`` pixels of ``out`` (cropped at its right
    and bottom edges), as nearest resampling to a finer grid does."""
    wide = np.repeat(coarse, size, axis=1)[:, : out.shape[1]]
    for offset in range(size):
        rows = out[offset::size]
        rows[...] = wide[: len(rows)]


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
        shape = cell.shape
        fractions = simulate_cover(rng, mine, cell.pixel_size)
        brightness = smooth_field(rng, shape, 10.0)  # illumination, moisture
        brightness *= 0.08
        brightness += 1
        fractions *= brightness  # lit covers: every band is their spectra's weighted sum
        covers = fractions.reshape(len(COVERS), -1)
        aot = smooth_field(rng, shape, 50.0) if "AOT" in self.bands else None
        data = np.empty((len(self.bands), *shape), dtype=np.uint16)
        for index, name in enumerate(self.bands):
            size = 1
            if name == "AOT":
                values = 150 + 20 * aot
            elif name in TCI_SOURCE:
                values = self._mixed(TCI_SOURCE[name], covers, shape)
                values *= np.float32(255 / 2000)
                np.clip(values, 1, 255, out=values)
            else:
                size = self._block(name, cell.pixel_size)
                values = self._sensed(self._mixed(name, covers, shape), size, rng)
            np.clip(values, 1, 65535, out=values)  # 0 is no data: no simulated pixel is
            if size == 1:
                np.rint(values, out=data[index], casting="unsafe")
            else:
                repeat_pixels(np.rint(values).astype(np.uint16), size, out=data[index])
        return CellImage(self.bands, data, self.describe())

    @staticmethod
    def _block(name: str, pixel_size: float) -> int:
        """How many cell pixels wide the band's own pixel is (1 for a band as fine as the cell)."""
        return max(1, round(BANDS[name].resolution_m / pixel_size))

    @staticmethod
    def _mixed(name: str, covers: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """The band's reflectance: the covers' spectra weighted by their (lit) fractions."""
        weights = np.array([SPECTRA[c][SPECTRUM_INDEX[name]] for c in COVERS], dtype=np.float32)
        return (weights @ covers).reshape(shape)

    def _sensed(self, band: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """The band as the sensor sees it, with its noise: a 20 m or 60 m band on a 10 m cell
        is simulated at its own resolution (block means of ``size`` pixels)."""
        if size > 1:
            band = block_mean(band, size)
        return self._noisy(band, standard_normal(rng, band.size).reshape(band.shape))

    def _noisy(self, band: np.ndarray, standard: np.ndarray) -> np.ndarray:
        """Multiplicative (relative ``noise``) and additive Gaussian noise, drawn as the one
        Gaussian their sum is: ``band + hypot(noise * band, 15) * standard``."""
        spread = np.square(band)
        spread *= np.float32(self.noise**2)
        spread += np.float32(ADDITIVE_NOISE**2)
        np.sqrt(spread, out=spread)
        spread *= standard
        spread += band
        return spread
