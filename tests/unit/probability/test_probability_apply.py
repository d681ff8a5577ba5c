"""Applying the model to tiles gives the reference model's probabilities, in valid COGs."""

import numpy as np
import pytest
import rasterio
from fixtures.pixel_tables import BANDS, pixel_table
from rasterio.transform import from_origin

from minescan.pixelmodels.features import build_features
from minescan.pixelmodels.model import LinearModel
from minescan.probability.apply import (
    PROBABILITY_NODATA,
    PROBABILITY_SCALE,
    CompiledModel,
    probability_tiles,
)


def _model(link="logistic"):
    features = build_features(BANDS)
    names = [f.name for f in features]
    weights = np.zeros(len(features))
    for name, w in {"B4": 4e-4, "NDVI": -3.0, "NBR2": 2.0, "ND_B2_B12": 1.5}.items():
        weights[names.index(name)] = w
    return LinearModel(features, weights, -0.5, link, 0.5, 0.5, {"threshold": 0.5})


@pytest.mark.parametrize("link", ["logistic", "identity"])
def test_compiled_model_matches_reference_including_zero_pixels(link):
    table = pixel_table(3, side=16)
    table.loc[:20, BANDS] = 0
    table.loc[21:40, "B4"] = 0
    model = _model(link)
    compiled = CompiledModel.from_model(model)
    assert set(compiled.bands) == {"B2", "B4", "B8", "B11", "B12"}  # only what is used
    stack = np.stack([table[b].to_numpy() for b in compiled.bands])
    got = compiled.probability(stack, block_pixels=100)
    np.testing.assert_allclose(got, model.probability(table), atol=2e-6)


def test_scan_tile_writes_probability_cog_and_cell_scores(tmp_path):
    table = pixel_table(1, side=64)
    tile = np.stack([table[b].to_numpy().reshape(64, 64) for b in BANDS])
    tile[:, :4, :] = 0  # no-data rows
    mine = table["mine"].to_numpy().reshape(64, 64).astype(np.uint16)
    path = tmp_path / "tiles" / "c1.tif"
    path.parent.mkdir()
    profile = dict(
        driver="GTiff",
        width=64,
        height=64,
        count=len(BANDS) + 1,
        dtype="uint16",
        crs="EPSG:32750",
        transform=from_origin(500000, 9900000, 10, 10),
        nodata=0,
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.concatenate([tile, mine[None]]))
        dst.descriptions = (*BANDS, "_mine")
        dst.update_tags(cell_id="c1")
    model = _model()
    rows = probability_tiles([path], tmp_path / "probability", model, 0.5, block_pixels=1000)
    with rasterio.open(tmp_path / "probability" / "c1.tif") as src:
        out = src.read(1)
        assert src.crs.to_epsg() == 32750 and src.nodata == PROBABILITY_NODATA
        assert src.scales[0] == pytest.approx(1 / PROBABILITY_SCALE)
    assert (out[:4] == PROBABILITY_NODATA).all()
    expected = model.probability({b: tile[i, 4:].ravel() for i, b in enumerate(BANDS)})
    np.testing.assert_allclose(out[4:].ravel() / PROBABILITY_SCALE, expected, atol=0.5 / 250 + 1e-6)
    row = rows[0]
    assert row["cell_id"] == "c1" and row["valid_pixels"] == 60 * 64
    inside = out[4:][mine[4:] > 0] / PROBABILITY_SCALE
    outside = out[4:][mine[4:] == 0] / PROBABILITY_SCALE
    assert inside.mean() > outside.mean()
