"""What the chip CNNs see: standardised reflectance, normalised differences, augmentations.

Inputs differ between regions (sun, atmosphere, soil and forest brightness), so how a chip is
standardised decides what transfers:

- ``band`` standardisation: ``log1p`` reflectance, each band centred and scaled with the
  training chips' mean and spread (stored with the model). A region brighter than the
  training regions stays brighter.
- ``chip`` standardisation: ``log1p`` reflectance centred and scaled per chip and band, so a
  gain on a band (a constant in log space) cancels; only the chip's spatial pattern and the
  normalised-difference channels carry the spectrum.
- ``indices``: normalised differences of band pairs, ``(a - b) / (a + b)``, appended as channels
  (standardised with the training chips' mean and spread). They are unchanged by one gain on
  both bands.

Augmentation (training only): random flips and 90 degree rotations, the same for both dates of
a pair (``dihedral``), and radiometric changes drawn per chip and date on the reflectance
before standardisation: a per-band gain and offset, haze (an additive path radiance strongest
in blue, as in hazy scenes) and a slight blur (a coarser point-spread or a resampled scene).
Test-time augmentation averages the eight dihedral views.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from minescan.errors import MinescanInputError

BANDS = ("B2", "B3", "B4", "B8", "B11", "B12")
STANDARDISATIONS = ("band", "chip", "gallery")
# The AMW gallery's radiometry: digital numbers shown as clip(DN / 3000, 0, 1)
GALLERY_SATURATION = 3000.0
AUGMENTATIONS = ("gain", "haze", "blur")
# Normalised differences of band pairs (positions in BANDS): NDVI (B8, B4), NDWI (B3, B8),
# MNDWI (B3, B11), NDMI (B8, B11), NBR (B8, B12) and a redness index (B4, B3) for the
# sediment-laden ponds and bare laterite of alluvial mines.
INDICES = ((3, 2), (1, 3), (1, 4), (3, 4), (3, 5), (2, 1))
# Relative haze per band: scattering falls with wavelength.
HAZE = {"B1": 1.1, "B2": 1.0, "B3": 0.8, "B4": 0.6, "B5": 0.5, "B6": 0.4, "B7": 0.35}
HAZE.update({"B8": 0.3, "B8A": 0.28, "B9": 0.25, "B10": 0.2, "B11": 0.1, "B12": 0.05})


def _channels(
    chips: np.ndarray, standardise: str, indices: bool, precise: bool = False
) -> np.ndarray:
    """(..., h, w, bands) reflectance -> (..., h, w, channels), before the global
    standardisation; ``precise`` takes the logarithm in float64 (fitting the statistics),
    otherwise in the chips' own precision (as the first models did: same figures). The
    ``gallery`` standardisation reads what the AMW gallery's PNGs show: reflectance clipped at
    0.3 and scaled to 0..1."""
    if standardise == "gallery":
        return np.clip(chips / GALLERY_SATURATION, 0.0, 1.0)
    reflectance = np.clip(chips, 0, None)
    logs = np.log1p(reflectance.astype(np.float64) if precise else reflectance)
    reflectance = reflectance.astype(np.float64)
    if standardise == "chip":
        mean = logs.mean(axis=(-3, -2), keepdims=True)
        spread = logs.std(axis=(-3, -2), keepdims=True)
        logs = (logs - mean) / np.maximum(spread, 0.05)
    if not indices:
        return logs
    a = reflectance[..., [i for i, _ in INDICES]]
    b = reflectance[..., [j for _, j in INDICES]]
    differences = (a - b) / np.maximum(a + b, 1.0)
    return np.concatenate([logs, differences], axis=-1)


@dataclass
class Normaliser:
    mean: np.ndarray  # (channels,)
    scale: np.ndarray
    standardise: str = "band"
    indices: bool = False
    bands: int = len(BANDS)

    @classmethod
    def fit(cls, chips: np.ndarray, standardise: str = "band", indices: bool = False) -> Normaliser:
        """From (n, h, w, bands) (or (n, 2, h, w, bands)) reflectance x 10000."""
        if standardise not in STANDARDISATIONS:
            raise MinescanInputError(
                "chips.cnn.standardise", f"{standardise!r}", f"one of {STANDARDISATIONS}"
            )
        bands = chips.shape[-1]
        if indices and bands != len(BANDS):
            raise MinescanInputError(
                "chips.cnn.indices", f"{bands} bands", f"indices need the bands {BANDS}"
            )
        x = _channels(chips, standardise, indices, precise=True)
        flat = x.reshape(-1, x.shape[-1])
        return cls(
            flat.mean(axis=0), np.maximum(flat.std(axis=0), 1e-6), standardise, indices, bands
        )

    @property
    def channels(self) -> int:
        return len(self.mean)

    def __call__(self, chips: np.ndarray) -> torch.Tensor:
        """Channels-first float32 tensor of (..., h, w, bands) reflectance, laid out channels
        last in memory: torch's CPU convolutions of these few channels run about twice as
        fast on that layout as on a contiguous channels-first one."""
        x = (_channels(chips, self.standardise, self.indices) - self.mean) / self.scale
        return torch.from_numpy(np.moveaxis(np.ascontiguousarray(x, dtype=np.float32), -1, -3))

    def to_record(self) -> dict:
        return {
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "standardise": self.standardise,
            "indices": self.indices,
            "bands": self.bands,
        }

    @classmethod
    def from_record(cls, record: dict, bands: int) -> Normaliser:
        # files written before the recipes hold only mean and scale (band standardisation)
        return cls(
            np.asarray(record["mean"]),
            np.asarray(record["scale"]),
            record.get("standardise", "band"),
            bool(record.get("indices", False)),
            int(record.get("bands", bands)),
        )


def dihedral(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random flip and 90 degree rotation per sample, the same for every date of a pair."""
    out = x.clone()
    choice = torch.randint(0, 8, (x.shape[0],), generator=generator)
    for k in range(8):
        rows = torch.nonzero(choice == k).squeeze(1)
        if rows.numel() == 0:
            continue
        part = torch.rot90(x[rows], k % 4, dims=(-2, -1))
        out[rows] = part.flip(-1) if k >= 4 else part
    return out


def dihedral_views(x: torch.Tensor) -> list[torch.Tensor]:
    """The eight flips and rotations of a batch (for test-time augmentation)."""
    views = [torch.rot90(x, k, dims=(-2, -1)) for k in range(4)]
    return views + [v.flip(-1) for v in views]


def _blur(chips: np.ndarray) -> np.ndarray:
    """A separable [1, 2, 1] / 4 smoothing of (..., h, w, bands), edges repeated."""
    out = chips
    for axis in (-3, -2):
        padded = np.concatenate(
            [np.take(out, [0], axis=axis), out, np.take(out, [-1], axis=axis)], axis=axis
        )
        n = out.shape[axis]
        lo = np.take(padded, np.arange(0, n), axis=axis)
        mid = np.take(padded, np.arange(1, n + 1), axis=axis)
        hi = np.take(padded, np.arange(2, n + 2), axis=axis)
        out = 0.25 * lo + 0.5 * mid + 0.25 * hi
    return out


def radiometric(
    chips: np.ndarray,
    kinds: tuple[str, ...],
    rng: np.random.Generator,
    band_names: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Randomly changed copies of (n, [2,] h, w, bands) reflectance x 10000 (bands named by
    ``band_names``, default ``BANDS``); each chip (and each date of a pair: two dates have two
    atmospheres) draws its own change."""
    if not kinds:
        return chips
    unknown = sorted(set(kinds) - set(AUGMENTATIONS))
    if unknown:
        raise MinescanInputError("chips.cnn.augment", f"{unknown}", f"any of {AUGMENTATIONS}")
    x = chips.astype(np.float32, copy=True)
    lead = x.shape[:-3]  # (n,) or (n, 2)
    bands = x.shape[-1]
    per_chip = (*lead, 1, 1, 1)
    per_band = (*lead, 1, 1, bands)
    if "gain" in kinds:
        # a common gain (illumination) and a per-band one (calibration, phenology), about
        # +-10 % each, and an offset of about 1 % reflectance
        gain = np.exp(rng.normal(0, 0.1, per_chip) + rng.normal(0, 0.05, per_band))
        x = x * gain.astype(np.float32) + rng.normal(0, 100, per_band).astype(np.float32)
    if "haze" in kinds:
        # half of the chips get up to 6 % reflectance of haze in blue, less at longer waves
        strength = rng.uniform(0, 600, per_chip) * (rng.random(per_chip) < 0.5)
        shape = np.array([HAZE[b] for b in (band_names or BANDS)[:bands]])
        x = x + (strength * shape).astype(np.float32)
    if "blur" in kinds:
        chosen = rng.random(lead) < 0.3
        if chosen.any():
            x[chosen] = _blur(x[chosen])
    return np.clip(x, 0, None)
