"""Thresholds for a target recall of validation mine area."""

import numpy as np
import pandas as pd
import pytest

from minescan.errors import MinescanInputError
from minescan.pyramid.thresholds import choose_threshold, choose_thresholds, validation_table


def _table(rng, n=200):
    positive = rng.random(n) < 0.5
    return pd.DataFrame(
        {
            "cell_id": [f"z14_32650_{i}_0" for i in range(n)],
            "label": np.where(positive, "positive", "negative"),
            "overlap_fraction": np.where(positive, rng.random(n), 0.0),
            "score": np.where(positive, rng.beta(5, 2, n), rng.beta(2, 5, n)),
        }
    )


@pytest.mark.parametrize("target", [0.5, 0.9, 0.98, 1.0])
def test_threshold_is_the_highest_that_keeps_the_target_area(target):
    table = _table(np.random.default_rng(1))
    chosen = choose_threshold(table, target)
    assert chosen.area_recall >= target - 1e-12
    positive = table[table["label"] == "positive"]
    above = positive["score"][positive["score"] > chosen.threshold]
    if len(above):  # the next stricter threshold misses the target
        stricter = positive["score"] >= above.min()
        weight = positive["overlap_fraction"]
        assert weight[stricter].sum() / weight.sum() < target


def test_stricter_targets_never_lower_the_threshold():
    table = _table(np.random.default_rng(2))
    record = choose_thresholds(table, 0.98, [0.5, 0.8, 0.9, 0.99, 1.0], source="test")
    thresholds = [c["threshold"] for c in record["curve"]]
    assert thresholds == sorted(thresholds, reverse=True)
    assert record["chosen"]["target_recall"] == 0.98
    assert record["validation"]["positives"] + record["validation"]["negatives"] == len(table)


def test_no_positive_validation_cell_is_a_clear_error():
    table = _table(np.random.default_rng(3))
    table["label"] = "negative"
    with pytest.raises(MinescanInputError, match="no positive validation cell"):
        choose_threshold(table, 0.98, source="results/grid/z13/cells.parquet")


def test_unknown_statistic_names_the_available_ones():
    cells = pd.DataFrame({"cell_id": ["a"], "label": ["positive"], "overlap_fraction": [0.5]})
    scores = pd.DataFrame({"cell_id": ["a"], "max_probability": [0.9]})
    with pytest.raises(MinescanInputError, match="max_probability"):
        validation_table(cells, scores, "p42_probability")
