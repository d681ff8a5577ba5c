import numpy as np
import pytest

from minescan.errors import MinescanInputError
from minescan.pyramid.spatial_prior import SpatialPrior, apply_prior, isolated


def cluster_and_loner():
    # six detections within 1 km of each other, and one 20 km away
    cluster = np.array([[0, 0], [500, 0], [0, 500], [500, 500], [250, 250], [900, 100]], float)
    return np.vstack([cluster, [[20000, 20000]]])


def test_isolated_uses_the_fifth_nearest_detection():
    xy = cluster_and_loner()
    assert isolated(xy).tolist() == [False] * 6 + [True]
    # with a 500 m radius the cluster's points are isolated too (their 5th neighbour is farther)
    assert isolated(xy, radius_m=500).all()


def test_isolated_detection_needs_the_higher_threshold():
    xy = cluster_and_loner()
    score = np.array([0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8])
    on = SpatialPrior(enabled=True, isolated_threshold=0.9)
    kept = apply_prior(xy, score, 0.5, on)
    assert kept.tolist() == [True] * 6 + [False]
    score[-1] = 0.95
    assert apply_prior(xy, score, 0.5, on)[-1]


def test_neighbours_are_counted_among_detections_that_pass():
    xy = cluster_and_loner()
    score = np.array([0.6, 0.1, 0.1, 0.6, 0.6, 0.6, 0.6])  # two cluster points fail
    kept = apply_prior(xy, score, 0.5, SpatialPrior(enabled=True, isolated_threshold=0.9))
    assert not kept.any()  # the rest have fewer than five passing neighbours


def test_off_by_default_is_the_single_threshold():
    xy = cluster_and_loner()
    score = np.linspace(0, 1, 7)
    prior = SpatialPrior.from_config(None)
    assert not prior.enabled
    assert (apply_prior(xy, score, 0.5, prior) == (score >= 0.5)).all()


def test_bad_settings_name_the_key():
    with pytest.raises(MinescanInputError, match="spatial_prior"):
        SpatialPrior.from_config({"enabled": True, "radius": 3000})
    with pytest.raises(MinescanInputError, match="isolated_threshold"):
        apply_prior(cluster_and_loner(), np.ones(7), 0.5, SpatialPrior(True, 0.4))


def test_scan_detections_get_isolated_and_kept_prior_columns():
    import pandas as pd

    from minescan.pyramid.spatial_prior import prior_columns

    xy = cluster_and_loner()
    boxes = pd.DataFrame(
        {
            "crs": "EPSG:32721",
            "x_min": xy[:, 0] - 20,
            "x_max": xy[:, 0] + 20,
            "y_min": xy[:, 1] - 20,
            "y_max": xy[:, 1] + 20,
            "score": [0.3] * 6 + [0.5],
        }
    )
    on = prior_columns(boxes, SpatialPrior(enabled=True, isolated_threshold=0.9))
    assert on["isolated"].tolist() == [False] * 6 + [True]
    assert on["kept_prior"].tolist() == [True] * 6 + [False]
    off = prior_columns(boxes, SpatialPrior())
    assert off["kept_prior"].all() and not off["isolated"].any()
