"""The pure-torch NMS fallback and the offline settings of ultralytics."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from minescan.ml import compat
from minescan.ml.compat import ensure_torchvision_nms, nms_reference, offline_ultralytics


def brute_force_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """Textbook greedy NMS, one pair at a time."""

    def iou(a, b):
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = w * h
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union

    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep: list[int] = []
    for i in order:
        if all(iou(boxes[i], boxes[k]) <= threshold for k in keep):
            keep.append(i)
    return keep


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_fallback_nms_equals_a_reference(threshold):
    rng = np.random.default_rng(1)
    corner = rng.uniform(0, 100, (300, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(1, 30, (300, 2))], axis=1)
    scores = rng.permutation(300) / 300.0  # distinct scores: one right answer
    kept = nms_reference(torch.tensor(boxes), torch.tensor(scores), threshold)
    assert kept.dtype == torch.int64
    assert kept.tolist() == brute_force_nms(boxes, scores, threshold)


def test_torchvision_nms_works_and_matches_ultralytics_own():
    ensure_torchvision_nms()
    import torchvision
    from ultralytics.utils.nms import TorchNMS

    rng = np.random.default_rng(2)
    corner = torch.tensor(rng.uniform(0, 50, (200, 2)), dtype=torch.float32)
    boxes = torch.cat([corner, corner + torch.tensor(rng.uniform(2, 20, (200, 2)))], 1).float()
    scores = torch.tensor(rng.permutation(200) / 200.0, dtype=torch.float32)
    assert torch.equal(torchvision.ops.nms(boxes, scores, 0.45), TorchNMS.nms(boxes, scores, 0.45))
    assert nms_reference(boxes[:0], scores[:0], 0.5).numel() == 0


def test_the_fallback_stays_inert_where_the_compiled_op_exists(monkeypatch):
    monkeypatch.setattr(compat, "_FALLBACK", [])
    monkeypatch.setattr(compat, "_op_exists", lambda name: True)
    assert ensure_torchvision_nms() is False
    assert compat._FALLBACK == []


def test_offline_settings_live_in_the_given_folder(tmp_path, monkeypatch):
    for key in ("YOLO_CONFIG_DIR", "YOLO_OFFLINE", "YOLO_AUTOINSTALL"):
        monkeypatch.delenv(key, raising=False)
    folder = offline_ultralytics(tmp_path / "ultralytics")
    assert (folder / "Arial.ttf").stat().st_size > 100_000
    assert (folder / "Arial.Unicode.ttf").is_file()
    assert os.environ["YOLO_CONFIG_DIR"] == str(folder)
    assert os.environ["YOLO_OFFLINE"] == "1"
    assert os.environ["YOLO_AUTOINSTALL"] == "false"
