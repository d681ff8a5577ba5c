"""The decision threshold: chosen on validation tiles so the predicted area equals the labelled
area, stored in the model file, and the one prediction uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
import torch
from fixtures.detection import write_minescan_tile

from minescan.errors import MinescanInputError
from minescan.footprints.model import Segmenter, build_network, load_segmenter
from minescan.footprints.steps import predict_shard
from minescan.footprints.thresholds import choose_threshold, unbiased_threshold
from minescan.ml.channels import Scaling
from minescan.pixelmodels.features import Feature


def under_confident(seed=0, size=100, share=0.04):
    """A network that ranks mines first but never reaches 0.5: mines at 0.25-0.35, the rest
    at 0-0.2; the unbiased threshold sits between them, 0.5 finds nothing."""
    rng = np.random.default_rng(seed)
    mine = rng.random((size, size)) < share
    prob = np.where(mine, rng.uniform(0.25, 0.35, mine.shape), rng.uniform(0, 0.2, mine.shape))
    return prob.astype(np.float32), mine, np.ones_like(mine)


def test_the_unbiased_threshold_gives_the_labelled_area_where_0_5_gives_none():
    tiles = [under_confident(seed) for seed in range(3)]
    probs, mines, valids = (list(x) for x in zip(*tiles, strict=True))
    threshold = unbiased_threshold(probs, mines, valids)
    # The lowest mine probability: every mine pixel kept, no background pixel.
    assert threshold == pytest.approx(
        min(float(p[m].min()) for p, m in zip(probs, mines, strict=True))
    )
    predicted = sum(int((p >= threshold).sum()) for p in probs)
    assert predicted == sum(int(m.sum()) for m in mines)
    chosen, figures = choose_threshold("unbiased", probs, mines, valids)
    assert chosen == threshold and figures["area_ratio"] == 1.0 and figures["iou"] == 1.0
    assert figures["iou_at_0.5"] == 0.0


def test_the_unbiased_threshold_matches_area_on_overlapping_scores():
    # Calibrated scores (a pixel of score p is a mine with probability p): the classes overlap,
    # so no threshold is perfect; the unbiased one still predicts the labelled area, while the
    # best-IoU one of the grid predicts another.
    rng = np.random.default_rng(1)
    prob = rng.beta(0.3, 6.0, (200, 200)).astype(np.float32)
    mine = rng.random(prob.shape) < prob
    valid = np.ones_like(mine)
    threshold = unbiased_threshold([prob], [mine], [valid])
    assert int((prob >= threshold).sum()) == int(mine.sum())
    _, iou_rule = choose_threshold("iou", [prob], [mine], [valid])
    assert abs(iou_rule["area_ratio"] - 1) > 0.05


def test_no_data_pixels_do_not_count():
    prob, mine, valid = under_confident()
    valid[:50] = False
    prob[:50] = 0.99  # confident no data must not raise the threshold
    threshold = unbiased_threshold([prob], [mine], [valid])
    assert int(((prob >= threshold) & valid).sum()) == int((mine & valid).sum())


def test_an_unknown_rule_is_refused():
    prob, mine, valid = under_confident()
    with pytest.raises(MinescanInputError, match="footprints.threshold"):
        choose_threshold("median", [prob], [mine], [valid])


def shard(tmp_path):
    tiles = tmp_path / "tiles" / "s0"
    tiles.mkdir(parents=True)
    rng = np.random.default_rng(0)
    data = rng.integers(100, 3000, (3, 64, 64)).astype(np.uint16)
    write_minescan_tile(tiles / "c0.tif", data, None, 0, bands=("B2", "B3", "B4"))
    status = tmp_path / "s0.status.csv"
    pd.DataFrame({"cell_id": ["c0"], "tile": ["c0.tif"], "status": ["ok"]}).to_csv(status)
    return tiles, status


def test_the_model_file_carries_the_threshold_and_prediction_uses_it(tmp_path):
    torch.manual_seed(0)
    channels = ("B4", "B3", "B2")
    net = build_network("unet", "tu-mobilenetv3_small_050", 3, 3)
    features = [Feature(c, c) for c in channels]
    scaling = Scaling(channels, (0.0,) * 3, (3000.0,) * 3)
    tiles, status = shard(tmp_path)
    masks = {}
    for name in ("low", "high"):
        model = tmp_path / f"{name}.pt"
        segmenter = Segmenter(net, "unet", "tu-mobilenetv3_small_050", 3, features, scaling, 0.5)
        if name == "high":
            # Between the untrained network's probabilities: some pixels either side.
            with rasterio.open(tmp_path / "low" / "c0_probability.tif") as src:
                segmenter.threshold = float(np.median(src.read(1)) / 250)
        else:
            segmenter.threshold = 0.0  # every valid pixel is a mine
        segmenter.save(model, {})
        assert load_segmenter(model).threshold == segmenter.threshold
        predict_shard(
            tiles_dir=str(tiles),
            status=str(status),
            model=str(model),
            out_dir=str(tmp_path / name),
            parquet=str(tmp_path / f"{name}.parquet"),
            channels=None,
            window_px=64,
            overlap_px=16,
            min_area_m2=100.0,
            zoom=16,
            epoch="2019",
            provenance={},
        )
        with rasterio.open(tmp_path / name / "c0_mask.tif") as src:
            masks[name] = src.read(1) == 1
        with rasterio.open(tmp_path / name / "c0_probability.tif") as src:
            prob = src.read(1) / 250
        step = 1 / 250  # the probability COG's rounding
        assert (prob[masks[name]] >= segmenter.threshold - step).all()
        assert (prob[~masks[name]] < segmenter.threshold + step).all()
    assert masks["low"].all() and 0 < masks["high"].sum() < masks["high"].size
