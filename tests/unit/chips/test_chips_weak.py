"""Polygon labels of the real chips: agreement with chip labels, pixel tables, pixel models."""

import numpy as np
import pytest
from fixtures.chips import copy_chips
from fixtures.imagery import CHIPS, SHARED, needs_chips

from minescan.chips.georef import PolygonLabeller, read_yearly_polygons
from minescan.chips.load import load_chips
from minescan.chips.weak import agreement, evaluate_weak_labels, label_chips, pixel_frame

AMW = SHARED / "polygons" / "amazon_mining_watch"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = copy_chips(CHIPS, tmp_path_factory.mktemp("chips"), pairs_per_label=40, seed=4)
    chips = load_chips(folder)
    return chips, label_chips(chips, PolygonLabeller(read_yearly_polygons(AMW)))


@pytest.mark.slow
@needs_chips
def test_mine_chips_lie_mostly_inside_the_polygons_of_their_years(labelled):
    chips, labels = labelled
    per_chip, table = agreement(chips, labels)
    positives = per_chip[per_chip["role"] == "positive"]
    natural = per_chip[per_chip["category"] == "natural_change"]
    assert positives["centre_inside"].mean() > 0.6
    assert natural["centre_inside"].mean() < positives["centre_inside"].mean()
    overall = table[table["role"].str.startswith("presence task")].iloc[0]
    assert 0.5 < overall["agreement"] <= 1 and -1 <= overall["cohen_kappa"] <= 1
    # a t0 chip never carries more polygon than its t1 (layers only add mining over time)
    t0 = per_chip[per_chip["time"] == "t0"].set_index("sample_id")["polygon_fraction"]
    t1 = per_chip[per_chip["time"] == "t1"].set_index("sample_id")["polygon_fraction"]
    assert (t0 <= t1.loc[t0.index] + 1e-9).all()


@needs_chips
def test_pixel_table_has_the_pixel_stage_columns(labelled):
    chips, labels = labelled
    frame = pixel_frame(chips, labels)
    assert len(frame) == len(chips.meta) * 48 * 48
    assert {"chip_id", "row", "col", "B2", "B12", "distance_m", "mine"} <= set(frame)
    inside = frame["mine"] == 1
    assert (frame.loc[inside, "distance_m"] <= 0).all() and (
        frame.loc[~inside, "distance_m"] >= 0
    ).all()


@needs_chips
def test_pixel_models_retrain_on_polygon_labels(labelled):
    chips, labels = labelled
    result = evaluate_weak_labels(
        chips,
        labels,
        block_deg=1.0,
        fractions=(0.6, 0.2, 0.2),
        seed=0,
        pixels_per_chip=16,
        n_lambdas=6,
        tolerance=0.01,
        families=[],
    )
    pixel = result.metrics[result.metrics["level"] == "pixel vs polygons"].set_index("model")
    assert set(pixel.index) == {"lasso", "logistic_l1"}
    assert np.isfinite(pixel["pr_auc"]).all()
    assert len(result.lasso.zero_order()) == 21
