"""Fusing the boxes of ensemble members and test-time views: each of the square's 8 symmetries
maps its boxes back onto the window exactly, and weighted boxes fusion averages a box's score
over all predictions (a box seen by one of two scores half)."""

from __future__ import annotations

import numpy as np
import pytest

from minescan.detection.fusion import DIHEDRAL, WindowBoxes, fuse, invert_boxes, transform_image


def _bounds(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    return np.array([[cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]], dtype=float)


@pytest.mark.parametrize(("turns", "flip"), DIHEDRAL)
@pytest.mark.parametrize("shape", [(40, 40), (30, 50)])
def test_every_view_maps_its_boxes_back_onto_the_window(turns, flip, shape):
    window = np.zeros((*shape, 3), dtype=np.uint8)
    window[5:12, 20:27] = 255  # an off-centre object, so that every symmetry moves it
    seen = transform_image(window, turns, flip)[..., 0] > 0
    back = invert_boxes(_bounds(seen), turns, flip, *shape)
    np.testing.assert_allclose(back, [[20, 5, 27, 12]])


def test_fusion_averages_scores_over_all_predictions():
    both = np.array([[10.0, 10.0, 30.0, 30.0]])
    first = WindowBoxes(np.vstack([both, [[60, 60, 70, 70]]]), np.array([0.8, 0.6]), np.zeros(2))
    second = WindowBoxes(both + 1.0, np.array([0.6]), np.zeros(1))
    fused = fuse([first, second], 100, 100, skip=0.01)
    order = np.argsort(-fused.scores)
    np.testing.assert_allclose(fused.scores[order], [0.7, 0.3], atol=1e-6)
    # the shared box is the score-weighted mean of the two
    np.testing.assert_allclose(fused.xyxy[order][0], both[0] + 0.6 / 1.4, atol=1e-3)


def test_one_prediction_is_returned_as_it_is():
    only = WindowBoxes(np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([0.5]), np.zeros(1, int))
    assert fuse([only], 10, 10, skip=0.01) is only
