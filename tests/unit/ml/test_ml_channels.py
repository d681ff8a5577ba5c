"""Channels by name, and the uint16-to-uint8 scaling fitted on the training split."""

from __future__ import annotations

import numpy as np
import pytest

from minescan.errors import MinescanInputError
from minescan.ml.channels import Scaling, channel_stack, resolve_channels

BANDS = ["B2", "B3", "B4", "B8", "B11"]


def test_bands_named_indices_and_pairs_resolve():
    features = resolve_channels(["B4", "NDVI", "ND_B11_B2"], BANDS, "cfg")
    assert [(f.name, f.a, f.b) for f in features] == [
        ("B4", "B4", None),
        ("NDVI", "B8", "B4"),
        ("ND_B11_B2", "B11", "B2"),
    ]


def test_an_unknown_channel_name_is_a_clear_error():
    with pytest.raises(MinescanInputError, match="unknown channel 'NVDI'"):
        resolve_channels(["B4", "NVDI"], BANDS, "detection.channels")


def test_an_index_whose_bands_are_missing_is_a_clear_error():
    with pytest.raises(MinescanInputError, match="channel 'NDRE' needs bands B8A and B5"):
        resolve_channels(["NDRE"], BANDS, "detection.channels")


def test_channel_stack_computes_normalized_differences():
    data = np.stack([np.full((2, 3), v, dtype=np.uint16) for v in (100, 200, 300, 900, 50)])
    stack = channel_stack(data, BANDS, resolve_channels(["B4", "NDVI"], BANDS, "cfg"))
    assert stack.shape == (2, 2, 3)
    np.testing.assert_allclose(stack[0], 300)
    np.testing.assert_allclose(stack[1], (900 - 300) / 1200)


def test_scaling_is_fitted_on_the_given_images_and_keeps_no_data_at_zero(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.uniform(1000, 2000, (2, 50, 50)).astype(np.float32)
    valid = np.ones((50, 50), dtype=bool)
    scaling = Scaling.fit([(train, valid)], ["B4", "B3"], (0, 100))
    assert scaling.low[0] == pytest.approx(train[0].min())
    assert scaling.high[1] == pytest.approx(train[1].max())
    other = np.full((2, 4, 4), 5000, dtype=np.float32)  # brighter than any training pixel
    mask = np.ones((4, 4), dtype=bool)
    mask[0, 0] = False
    image = scaling.apply(other, mask)
    assert image.dtype == np.uint8 and image.shape == (4, 4, 2)
    assert image[0, 0].tolist() == [0, 0] and (image[mask] == 255).all()
    scaling.save(tmp_path / "scaling.json", {})
    assert Scaling.load(tmp_path / "scaling.json") == scaling


def test_scaling_without_valid_training_pixels_is_an_error():
    with pytest.raises(MinescanInputError, match="no valid training pixels"):
        Scaling.fit([(np.zeros((1, 3, 3)), np.zeros((3, 3), dtype=bool))], ["B4"])
