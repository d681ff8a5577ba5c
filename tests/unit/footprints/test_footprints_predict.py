"""Windows over whole tiles blend without seams; the COGs say what they hold."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from minescan.footprints.model import Segmenter
from minescan.footprints.predict import blend_weights, probability, write_rasters
from minescan.ml.channels import Scaling
from minescan.pixelmodels.features import Feature


def pointwise_segmenter(depth: int = 3) -> Segmenter:
    """A network whose output at a pixel depends on that pixel only: windows cannot change it,
    so any difference from the whole-tile answer is a seam or a blending error."""
    net = torch.nn.Conv2d(2, 1, kernel_size=1)
    with torch.no_grad():
        net.weight[:] = torch.tensor([[[[4.0]], [[-3.0]]]])
        net.bias[:] = -0.5
    features = [Feature("B4", "B4"), Feature("B3", "B3")]
    scaling = Scaling(("B4", "B3"), (0.0, 0.0), (1.0, 1.0))
    return Segmenter(net, "unet", "test", depth, features, scaling, 0.5)


def direct(segmenter: Segmenter, pixels: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        tensor = torch.from_numpy(pixels[None].astype(np.float32) / 255.0)
        return torch.sigmoid(segmenter.net(tensor)).numpy()[0, 0]


@pytest.mark.parametrize("shape", [(300, 200), (64, 64), (50, 37), (129, 257)])
def test_blended_windows_equal_the_whole_tile_answer(shape):
    rng = np.random.default_rng(0)
    pixels = rng.integers(1, 256, (2, *shape)).astype(np.uint8)
    valid = np.ones(shape, dtype=bool)
    segmenter = pointwise_segmenter()
    blended = probability(segmenter, pixels, valid, window_px=64, overlap_px=16)
    np.testing.assert_allclose(blended, direct(segmenter, pixels), atol=1e-5)


def test_no_data_pixels_get_no_probability():
    pixels = np.full((2, 80, 80), 120, dtype=np.uint8)
    valid = np.ones((80, 80), dtype=bool)
    valid[:10] = False
    prob = probability(pointwise_segmenter(), pixels, valid, window_px=64, overlap_px=16)
    assert np.isnan(prob[:10]).all() and np.isfinite(prob[10:]).all()


def test_blend_weights_peak_in_the_middle_and_never_vanish():
    weights = blend_weights(64, 64)
    assert weights.min() > 0
    assert weights[32, 32] == pytest.approx(weights.max(), rel=1e-3)
    assert weights[0, 0] < 0.01 * weights.max()


def test_cogs_hold_probability_with_its_scale_and_a_binary_mask(tmp_path):
    prob = np.array([[0.0, 0.5], [1.0, np.nan]], dtype=np.float32)
    mask = prob > 0.4
    transform = from_origin(500000, 9960000, 10, 10)
    write_rasters(
        tmp_path / "p.tif", tmp_path / "m.tif", prob, mask, transform, "EPSG:32750", {}, {}
    )
    with rasterio.open(tmp_path / "p.tif") as src:
        assert src.scales[0] == pytest.approx(1 / 250)
        values = src.read(1, masked=True)
        assert values.mask[1, 1] and not values.mask[0, 0]
        assert values[0, 1] * src.scales[0] == pytest.approx(0.5)
        assert src.crs.to_epsg() == 32750
    with rasterio.open(tmp_path / "m.tif") as src:
        assert src.read(1).tolist() == [[0, 1], [1, 255]]
        assert src.nodata == 255


@pytest.mark.parametrize("arch", ["unet", "fpn"])
@pytest.mark.parametrize("depth", [3, 4, 5])
def test_both_architectures_answer_at_the_input_size(arch, depth):
    from minescan.footprints.model import build_network

    net = build_network(arch, "tu-mobilenetv3_small_050", 3, depth).eval()
    with torch.no_grad():
        assert net(torch.zeros(1, 3, 64, 96)).shape == (1, 1, 64, 96)
