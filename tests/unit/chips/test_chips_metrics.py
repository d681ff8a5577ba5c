"""Chip metrics: operating points, block-bootstrap intervals, flag rates."""

import numpy as np
import pandas as pd
import pytest

from minescan.chips.metrics import (
    bootstrap_intervals,
    flagged_rates,
    metrics_row,
    sensitivity_at_specificity,
)


def test_sensitivity_at_specificity_reads_the_roc_curve():
    y = np.array([0] * 100 + [1] * 10)
    score = np.concatenate([np.linspace(0, 0.5, 100), np.linspace(0.3, 1, 10)])
    # the top negative scores 0.5: at specificity 0.99 one false positive is allowed
    assert sensitivity_at_specificity(y, score, 0.99) == np.mean(score[100:] > 0.4949)
    assert sensitivity_at_specificity(y, score, 0.998) == np.mean(score[100:] > 0.5)
    assert np.isnan(sensitivity_at_specificity(np.ones(3), np.ones(3), 0.99))


@pytest.mark.slow
def test_intervals_bracket_the_point_figures():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    score = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    groups = np.arange(400) // 10
    row = metrics_row(y, score, score > 0.5, groups, n_boot=200, seed=0)
    for name in ("pr_auc", "roc_auc", "f1"):
        assert row[f"{name}_lo"] <= row[name] <= row[f"{name}_hi"]
        assert row[f"{name}_hi"] - row[f"{name}_lo"] < 0.2
    same = bootstrap_intervals(y, score, score > 0.5, groups, 50, seed=0)
    assert same == bootstrap_intervals(y, score, score > 0.5, groups, 50, seed=0)


def test_flag_rates_per_group():
    frame = pd.DataFrame({"group": ["a", "a", "b"], "decision": [True, False, True]})
    rates = flagged_rates(frame, "group").set_index("group")
    assert rates.loc["a", "rate"] == 0.5 and rates.loc["b", "flagged"] == 1
