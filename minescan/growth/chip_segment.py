"""A segmenter for 48 x 48 px chips: the footprints stage's network and loss, a chip-sized loop.

``minescan.footprints.train`` samples windows out of large uint8 tiles and validates by
predicting whole tiles in blended windows; a chip is one window already, in reflectance x
10000. So this loop keeps the footprints stage's parts (``build_network``: an smp U-Net or FPN
with no pretrained weights; ``dice_focal_loss``: soft Dice plus focal loss for few positive
pixels) and replaces only the data path:

- Inputs: ``minescan.chips.inputs.Normaliser`` (``log1p`` reflectance standardised per band,
  optionally with normalised-difference channels such as NDVI and NDWI), fitted on the
  training chips only and stored with the model.
- Paired input (``paired``): the chip to segment, the other date's chip of its pair and a
  constant channel saying which date is segmented (0 for t0, 1 for t1); still one mask per
  date, but each date's mask is drawn knowing the other date, so what did not change can be
  drawn the same at both (independent masks put their errors into the growth twice).
- Augmentation: a random flip and quarter turn per chip, the same for its image and mask.
- Selection: after every epoch the validation chips (a spatially separate fold) are predicted;
  the epoch and the probability threshold with the best validation pixel IoU are kept.
  Nothing is chosen on the chips that are scored.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from minescan.chips.inputs import Normaliser, dihedral
from minescan.errors import MinescanInputError
from minescan.footprints.model import build_network
from minescan.footprints.thresholds import iou, pixel_counts
from minescan.footprints.train import dice_focal_loss

LOG = logging.getLogger(__name__)
THRESHOLDS = np.round(np.arange(0.1, 0.91, 0.05), 2)


@dataclass(frozen=True)
class ChipSegmenterOptions:
    arch: str = "unet"
    encoder: str = "resnet18"
    encoder_depth: int = 3  # 48 px chips: 48 / 2**3 = 6 px at the bottom
    indices: bool = False  # add normalised differences (NDVI, NDWI, ...) as channels
    paired: bool = False  # also see the pair's other date (see the module notes)
    epochs: int = 10
    batch: int = 32
    learning_rate: float = 2e-3
    focal_weight: float = 1.0
    focal_gamma: float = 2.0
    seed: int = 0


@dataclass
class ChipSegmenter:
    net: torch.nn.Module
    normaliser: Normaliser
    threshold: float
    history: pd.DataFrame
    paired: bool = False

    def probability(
        self, chips: np.ndarray, role: np.ndarray | None = None, batch: int = 128
    ) -> np.ndarray:
        """(n, h, w) mine probability of (n, h, w, bands) reflectance x 10000, or for a
        paired model of (n, 2, h, w, bands) (the chip, then its pair's other date) with
        ``role`` 0 (t0) or 1 (t1) per chip."""
        self.net.eval()
        out = []
        with torch.no_grad():
            for first in range(0, len(chips), batch):
                part = slice(first, first + batch)
                x = encode(self.normaliser, chips[part], None if role is None else role[part])
                out.append(torch.sigmoid(self.net(x)[:, 0]).numpy())
        if not out:
            return np.zeros((0, *valid_pixels(chips).shape[1:]), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)

    def mask(self, chips: np.ndarray, role: np.ndarray | None = None) -> np.ndarray:
        return (self.probability(chips, role) >= self.threshold) & valid_pixels(chips)


def valid_pixels(chips: np.ndarray) -> np.ndarray:
    """(n, h, w): pixels of the segmented chip with data (paired input: its first date)."""
    own = chips[:, 0] if chips.ndim == 5 else chips
    return own.any(axis=-1)


def encode(normaliser: Normaliser, chips: np.ndarray, role: np.ndarray | None) -> torch.Tensor:
    """Network input: (n, c, h, w) of single chips, or (n, 2c + 1, h, w) of pairs (the chip's
    channels, the other date's, and the constant role channel)."""
    x = normaliser(chips)
    if chips.ndim == 4:
        return x
    if role is None:
        raise ValueError("paired chips need the role (0: t0, 1: t1) of each chip")
    n, _, c, h, w = x.shape
    roles = torch.from_numpy(np.asarray(role, dtype=np.float32)).view(n, 1, 1, 1)
    return torch.cat([x.reshape(n, 2 * c, h, w), roles.expand(n, 1, h, w)], dim=1)


def check_chip_side(shape: tuple[int, ...], depth: int) -> None:
    multiple = 2**depth
    if shape[1] % multiple or shape[2] % multiple:
        raise MinescanInputError(
            "growth chip pairs: encoder_depth",
            f"chips of {shape[1]} x {shape[2]} px do not halve {depth} times evenly",
            f"use an encoder depth whose 2**depth divides the chip side ({multiple} does not)",
        )


def validation_scores(prob: np.ndarray, mine: np.ndarray, valid: np.ndarray) -> dict:
    """Pixel IoU of ``prob >= t`` against ``mine`` for every threshold in THRESHOLDS."""
    return {float(t): iou(*pixel_counts(prob, mine > 0, valid, t)) for t in THRESHOLDS}


def train_chip_segmenter(
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    options: ChipSegmenterOptions,
    train_role: np.ndarray | None = None,
    val_role: np.ndarray | None = None,
) -> ChipSegmenter:
    """The segmenter of the best validation epoch. ``*_x``: (n, h, w, bands) reflectance
    x 10000 (paired: (n, 2, h, w, bands) with ``*_role``); ``*_y``: (n, h, w) 0/1 masks.
    Pixels with every band zero are no data."""
    check_chip_side(train_x.shape[-4:], options.encoder_depth)
    if len(train_x) == 0 or len(val_x) == 0:
        raise MinescanInputError(
            "growth chip pairs", "a fold has no training or validation chips", "use fewer folds"
        )
    torch.manual_seed(options.seed)
    generator = torch.Generator().manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    normaliser = Normaliser.fit(train_x, "band", options.indices)
    channels = 2 * normaliser.channels + 1 if options.paired else normaliser.channels
    net = build_network(options.arch, options.encoder, channels, options.encoder_depth)
    optimiser = torch.optim.AdamW(net.parameters(), lr=options.learning_rate, weight_decay=1e-4)
    steps = int(np.ceil(len(train_x) / options.batch))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=options.learning_rate, total_steps=steps * options.epochs
    )
    inputs = encode(normaliser, train_x, train_role)
    target = torch.from_numpy(train_y.astype(np.float32))
    valid = torch.from_numpy(valid_pixels(train_x).astype(np.float32))
    val_valid = valid_pixels(val_x)
    segmenter = ChipSegmenter(net, normaliser, 0.5, pd.DataFrame(), options.paired)
    history, best = [], (-1.0, copy.deepcopy(net.state_dict()), 0.5, 0)
    for epoch in range(1, options.epochs + 1):
        started = time.perf_counter()
        net.train()
        losses = []
        for rows in np.array_split(rng.permutation(len(train_x)), steps):
            index = torch.from_numpy(rows)
            # image, mask and validity turned together
            stack = torch.cat([inputs[index], target[index, None], valid[index, None]], dim=1)
            stack = dihedral(stack, generator)
            logits = net(stack[:, :-2])[:, 0]
            loss = dice_focal_loss(
                logits, stack[:, -2], stack[:, -1], options.focal_weight, options.focal_gamma
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        train_s = time.perf_counter() - started
        scores = validation_scores(segmenter.probability(val_x, val_role), val_y, val_valid)
        threshold = max(scores, key=lambda t: np.nan_to_num(scores[t], nan=-1.0))
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "val_iou_at_0.5": scores[0.5],
                "val_iou_best_threshold": scores[threshold],
                "threshold": threshold,
                "train_seconds": round(train_s, 2),
            }
        )
        LOG.info("  epoch %d/%d: %s", epoch, options.epochs, history[-1])
        score = float(np.nan_to_num(scores[threshold], nan=-1.0))
        if score >= best[0]:
            best = (score, copy.deepcopy(net.state_dict()), threshold, epoch)
    net.load_state_dict(best[1])
    segmenter.threshold = float(best[2])
    segmenter.history = pd.DataFrame(history).assign(best_epoch=best[3])
    return segmenter
