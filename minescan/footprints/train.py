"""Training a segmenter on tiles where mines cover 1-5 % of the pixels.

- Sampling: each chip is centred on a random mine pixel with probability
  ``positive_fraction`` and placed uniformly otherwise, so most batches hold mine pixels
  (uniform chips of a 448 px tile with a 3 % facility miss it most of the time) while the
  uniform rest teaches what is not a mine.
- Loss: soft Dice (insensitive to the share of positives) plus focal loss (per-pixel, down-
  weighting the many easy background pixels), both over valid pixels only.
- Selection: after every epoch the whole validation tiles are predicted as at inference
  (windows, blending) and the threshold of ``threshold`` (``thresholds``: by default the one
  whose predicted area equals the labelled area) is chosen on them; the epoch with the best
  validation IoU at its threshold is kept, and that threshold is stored with the model.
  Validation tiles are never trained on.
- Flips and quarter turns augment (overhead imagery has no up); seeded throughout.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from minescan.footprints.data import TilePixels
from minescan.footprints.model import Segmenter, build_network
from minescan.footprints.predict import probability
from minescan.footprints.thresholds import choose_threshold
from minescan.ml.channels import Scaling
from minescan.pixelmodels.features import Feature

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    arch: str = "unet"
    encoder: str = "resnet18"
    encoder_depth: int = 4
    encoder_weights: str | None = None
    chip_px: int = 224
    chips_per_tile: int = 2
    batch: int = 8
    epochs: int = 10
    learning_rate: float = 1e-3
    positive_fraction: float = 0.7
    focal_weight: float = 1.0
    focal_gamma: float = 2.0
    window_px: int = 448
    overlap_px: int = 64
    threshold: str = "unbiased"
    seed: int = 0


def dice_focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    valid: torch.Tensor,
    focal_weight: float,
    gamma: float,
) -> torch.Tensor:
    """Soft Dice over the batch plus ``focal_weight`` x mean focal loss, valid pixels only."""
    prob = torch.sigmoid(logits)
    valid = valid.float()
    inter = (prob * target * valid).sum()
    dice = 1 - (2 * inter + 1) / ((prob * valid).sum() + (target * valid).sum() + 1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_true = torch.where(target > 0.5, prob, 1 - prob)
    focal = ((1 - p_true) ** gamma * bce * valid).sum() / valid.sum().clamp(min=1)
    return dice + focal_weight * focal


def chip_origin(
    rng: np.random.Generator, mine: np.ndarray, chip: int, positive_fraction: float
) -> tuple[int, int]:
    """Top-left corner of a chip: around a mine pixel (``positive_fraction``) or anywhere."""
    height, width = mine.shape
    if mine.any() and rng.random() < positive_fraction:
        rows, cols = np.nonzero(mine)
        k = rng.integers(len(rows))
        # Anywhere in the chip, not only its centre: the network must not learn "mines are
        # in the middle".
        y = int(rows[k]) - int(rng.integers(chip))
        x = int(cols[k]) - int(rng.integers(chip))
    else:
        y, x = (
            int(rng.integers(max(height - chip, 0) + 1)),
            int(rng.integers(max(width - chip, 0) + 1)),
        )
    return int(np.clip(y, 0, max(height - chip, 0))), int(np.clip(x, 0, max(width - chip, 0)))


def cut_chip(tile: TilePixels, y: int, x: int, chip: int) -> tuple[np.ndarray, ...]:
    """Pixels, mask and validity of a chip, padded with no data where the tile is smaller."""
    window = (slice(y, y + chip), slice(x, x + chip))
    pixels, mine, valid = tile.pixels[:, *window], tile.mine[window], tile.valid[window]
    ph, pw = chip - mine.shape[0], chip - mine.shape[1]
    if ph or pw:
        pixels = np.pad(pixels, ((0, 0), (0, ph), (0, pw)))
        mine, valid = np.pad(mine, ((0, ph), (0, pw))), np.pad(valid, ((0, ph), (0, pw)))
    return pixels, mine, valid


def augment(rng: np.random.Generator, *arrays: np.ndarray) -> list[np.ndarray]:
    turns, flip = int(rng.integers(4)), bool(rng.integers(2))
    out = []
    for a in arrays:
        a = np.rot90(a, turns, axes=(-2, -1))
        out.append(np.ascontiguousarray(a[..., ::-1] if flip else a))
    return out


def _validate(segmenter: Segmenter, tiles: Sequence[TilePixels], options: TrainOptions, device):
    """The threshold of ``options.threshold`` on the whole validation tiles, and its figures."""
    probs = [
        probability(
            segmenter, t.pixels, t.valid, options.window_px, options.overlap_px, device=device
        )
        for t in tiles
    ]
    return choose_threshold(
        options.threshold, probs, [t.mine for t in tiles], [t.valid for t in tiles]
    )


def train_segmenter(
    train_tiles: Sequence[TilePixels],
    val_tiles: Sequence[TilePixels],
    features: Sequence[Feature],
    scaling: Scaling,
    options: TrainOptions,
    device: str = "cpu",
) -> tuple[Segmenter, pd.DataFrame, dict]:
    """The segmenter of the best validation epoch, its per-epoch history and a summary."""
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    net = build_network(
        options.arch, options.encoder, len(features), options.encoder_depth, options.encoder_weights
    ).to(device)
    segmenter = Segmenter(
        net, options.arch, options.encoder, options.encoder_depth, list(features), scaling, 0.5
    )
    optimiser = torch.optim.AdamW(net.parameters(), lr=options.learning_rate, weight_decay=1e-4)
    steps = max(1, int(np.ceil(len(train_tiles) * options.chips_per_tile / options.batch)))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=options.learning_rate, total_steps=steps * options.epochs
    )
    history, best = [], (-1.0, None, 0.5, 0)
    for epoch in range(1, options.epochs + 1):
        started = time.perf_counter()
        net.train()
        order = rng.permutation(np.repeat(np.arange(len(train_tiles)), options.chips_per_tile))
        losses = []
        for first in range(0, len(order), options.batch):
            chips = []
            for index in order[first : first + options.batch]:
                tile = train_tiles[index]
                y, x = chip_origin(rng, tile.mine, options.chip_px, options.positive_fraction)
                chips.append(augment(rng, *cut_chip(tile, y, x, options.chip_px)))
            pixels, mine, valid = (torch.from_numpy(np.stack(c)) for c in zip(*chips, strict=True))
            logits = net(pixels.float().div(255.0).to(device))[:, 0]
            loss = dice_focal_loss(
                logits,
                mine.float().to(device),
                valid.to(device),
                options.focal_weight,
                options.focal_gamma,
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        train_s = time.perf_counter() - started
        threshold, scores = (
            _validate(segmenter, val_tiles, options, device) if val_tiles else (0.5, {})
        )
        val_iou = scores.get("iou", float("nan"))
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "val_iou_at_0.5": scores.get("iou_at_0.5", float("nan")),
                "val_iou_best_threshold": val_iou,
                "threshold": threshold,
                "val_area_ratio": scores.get("area_ratio", float("nan")),
                "train_seconds": round(train_s, 2),
            }
        )
        LOG.info("epoch %d/%d: %s", epoch, options.epochs, history[-1])
        # Without validation tiles the last epoch is kept (nothing to choose on).
        score = np.nan_to_num(val_iou, nan=-1.0) if val_tiles else float(epoch)
        if score >= best[0]:
            best = (score, copy.deepcopy(net.state_dict()), threshold, epoch)
    net.load_state_dict(best[1])
    segmenter.threshold = float(best[2])
    table = pd.DataFrame(history)
    summary = {
        "best_epoch": int(best[3]),
        "threshold": segmenter.threshold,
        "threshold_rule": options.threshold,
        "val_area_ratio": (
            None if not val_tiles else round(float(history[best[3] - 1]["val_area_ratio"]), 4)
        ),
        "val_iou": None if not val_tiles else round(float(best[0]), 4),
        "train_tiles": len(train_tiles),
        "val_tiles": len(val_tiles),
        "seconds_per_epoch": round(float(table["train_seconds"].mean()), 2),
        "device": str(device),
    }
    return segmenter, table, summary
