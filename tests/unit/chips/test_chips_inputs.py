"""Chip inputs that differ less between regions, radiometric augmentation and TTA."""

import numpy as np
import pytest
import torch

from minescan.chips.cnn import TrainSettings, fit_ensemble, load_models, save_models
from minescan.chips.inputs import INDICES, Normaliser, dihedral_views, radiometric
from minescan.errors import MinescanInputError


@pytest.fixture(autouse=True)
def pinned_threads():
    torch.set_num_threads(1)


def chips(n: int = 24, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(200, 4000, (n, 48, 48, 6)).astype(np.float32)


def test_chip_standardisation_cancels_a_gain_per_band():
    x = chips()
    gain = np.array([0.7, 0.8, 1.1, 1.3, 0.9, 1.2], dtype=np.float32)
    norm = Normaliser.fit(x, "chip", indices=False)
    # log1p(g x) = log g + log x for reflectance >> 1: per-chip centring removes it
    assert torch.allclose(norm(x), norm(x * gain), atol=2e-3)
    assert not torch.allclose(Normaliser.fit(x)(x), Normaliser.fit(x)(x * gain), atol=0.1)


def test_indices_are_appended_and_unchanged_by_one_gain_on_all_bands():
    x = chips()
    norm = Normaliser.fit(x, "band", indices=True)
    out = norm(x)
    assert out.shape == (24, 6 + len(INDICES), 48, 48)
    assert torch.allclose(norm(x)[:, 6:], norm(1.25 * x)[:, 6:], atol=1e-4)
    with pytest.raises(MinescanInputError, match="standardise"):
        Normaliser.fit(x, "scene")


def test_radiometric_augmentation_is_seeded_and_keeps_shapes():
    pairs = np.stack([chips(8), chips(8, 1)], axis=1)  # (8, 2, 48, 48, 6)
    kinds = ("gain", "haze", "blur")
    a = radiometric(pairs, kinds, np.random.default_rng(3))
    b = radiometric(pairs, kinds, np.random.default_rng(3))
    assert a.shape == pairs.shape and np.array_equal(a, b) and (a >= 0).all()
    assert not np.allclose(a, pairs)
    # two dates draw two atmospheres
    ratio = (a[:, 1] / pairs[:, 1]).mean(axis=(1, 2)) - (a[:, 0] / pairs[:, 0]).mean(axis=(1, 2))
    assert np.abs(ratio).max() > 1e-3
    assert radiometric(pairs, (), np.random.default_rng(0)) is pairs
    with pytest.raises(MinescanInputError, match="augment"):
        radiometric(pairs, ("fog",), np.random.default_rng(0))


@pytest.mark.slow
def test_tta_makes_the_ensemble_invariant_to_flips_and_rotations(tmp_path):
    x = chips(32)
    y = np.tile([0.0, 1.0], 16)
    x[y == 1, 10:30, 10:30, 4:] *= 2.0  # bright SWIR square on "mines"
    settings = TrainSettings(
        width=4,
        epochs=2,
        patience=1,
        batch_size=16,
        standardise="chip",
        indices=True,
        augment=("gain", "haze", "blur"),
        tta=True,
    )
    ensemble = fit_ensemble("patch", x[:24], y[:24], x[24:], y[24:], settings, [0, 1])
    rotated = np.rot90(x, 1, axes=(1, 2)).copy()
    assert np.allclose(ensemble.probability(x), ensemble.probability(rotated), atol=1e-5)
    views = dihedral_views(torch.zeros(2, 3, 4, 4))
    assert len(views) == 8
    path = tmp_path / "model.pt"
    save_models({"presence": ensemble}, path, {"params": {}})
    loaded = load_models(path)["presence"]
    assert loaded.tta and loaded.normaliser.standardise == "chip" and loaded.normaliser.indices
    assert np.allclose(loaded.probability(x), ensemble.probability(x), atol=1e-6)


@pytest.mark.slow
def test_fused_pairs_network_trains_and_round_trips(tmp_path):
    pairs = np.stack([chips(16), chips(16, 2)], axis=1)
    y = np.tile([0.0, 1.0], 8)
    settings = TrainSettings(width=4, epochs=1, patience=1, batch_size=8, depth=3)
    ensemble = fit_ensemble("fused", pairs[:12], y[:12], pairs[12:], y[12:], settings, [0])
    path = tmp_path / "model.pt"
    save_models({"emergence": ensemble}, path, {"params": {}})
    loaded = load_models(path)["emergence"]
    assert loaded.kind == "fused" and loaded.depth == 3
    assert np.allclose(loaded.probability(pairs), ensemble.probability(pairs), atol=1e-6)
