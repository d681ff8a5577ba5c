import numpy as np
import pandas as pd
import pytest
from fixtures.pixel_tables import BANDS, pixel_table

from minescan.errors import MinescanInputError
from minescan.pixelmodels.features import NAMED_INDICES, build_features, compute_features
from minescan.pixelmodels.labels import make_patches, target_values


def test_eleven_bands_give_bands_all_pairs_and_named_indices():
    features = build_features(BANDS)
    names = [f.name for f in features]
    assert len(features) == 11 + 55  # every pair exactly once, named or not
    for index in NAMED_INDICES:
        listed = index in names or any(index in f.aliases for f in features)
        assert listed, index
    pairs = {frozenset(f.bands) for f in features if f.b is not None}
    assert len(pairs) == 55


def test_named_indices_follow_table_2_and_zero_denominators_give_zero():
    columns = {b: np.array([0.0, 1000.0, 3000.0], dtype=np.float32) for b in BANDS}
    columns["B8"] = np.array([0.0, 3000.0, 3000.0], dtype=np.float32)
    columns["B4"] = np.array([0.0, 1000.0, 0.0], dtype=np.float32)
    features = build_features(BANDS)
    X = compute_features(columns, features)
    ndvi = X[:, [f.name for f in features].index("NDVI")]
    np.testing.assert_allclose(ndvi, [0.0, 0.5, 1.0])
    assert np.isfinite(X).all()


def test_bands_missing_from_the_table_are_named():
    with pytest.raises(MinescanInputError, match="B11"):
        compute_features({"B4": np.ones(3)}, build_features(["B4", "B11"]))


def test_six_band_chips_drop_indices_they_cannot_compute():
    names = [f.name for f in build_features(["B2", "B3", "B4", "B8", "B11", "B12"])]
    assert "NDVI" in names and "NBR" in names
    assert "NDRE" not in names and "NDVI705" not in names


def test_distance_target_is_clipped_and_positive_inside():
    table = pd.DataFrame({"distance_m": [-500.0, -50.0, 0.0, 50.0, 500.0]})
    np.testing.assert_allclose(target_values(table, "distance", 100), [1, 0.5, 0, -0.5, -1])


def test_patches_average_labels_and_keep_cells_apart():
    table = pixel_table(2, side=8)
    patches = make_patches(table, BANDS, 4)
    assert len(patches) == 2 * 4
    first = table[(table.cell_id == patches.cell_id[0]) & (table.row < 4) & (table.col < 4)]
    assert patches["mine"][0] == pytest.approx(first["mine"].mean())
    assert patches["B4"][0] == pytest.approx(first["B4"].astype(float).mean(), rel=1e-5)
    assert patches["B4_sd"][0] == pytest.approx(first["B4"].astype(float).std(), rel=1e-4)
