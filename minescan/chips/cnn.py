"""Small CNNs on 48 x 48 x 6 Sentinel-2 patches, trained from scratch, as seeded ensembles.

- ``patch``: one chip -> probability of a mine (the Amazon Mining Watch set-up).
- ``siamese``: a pair (t0, t1) -> probability that a mine appeared; one encoder shared by both
  dates, the head sees the t1 features and their difference from t0.
- ``fused``: a pair as one stack of t0, t1 and t1 - t0 channels through one patch encoder (the
  difference of two dates cancels some of what differs between regions before any weight).

Inputs (``minescan.chips.inputs``): standardised ``log1p`` reflectance (per band over the
training chips, or per chip), optionally with normalised-difference channels. Training: AdamW,
binary cross-entropy weighted by the class ratio, random flips and 90 degree rotations (the
same for both dates of a pair) and optionally radiometric augmentation, early stopping on the
validation loss of a spatially separate block or region, the best epoch kept. Each ensemble
member has its own seed; the ensemble's probability is the members' mean (over the eight
dihedral views with test-time augmentation). CUDA is used when available, otherwise the CPU
with the given number of threads.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from minescan.chips.inputs import Normaliser, dihedral, dihedral_views, radiometric
from minescan.chips.networks import PAIR_KINDS, make_network
from minescan.errors import MinescanInputError
from minescan.ml.runtime import device
from minescan.outputs import write_torch

__all__ = ["Ensemble", "Normaliser", "TrainSettings", "dihedral", "fit_ensemble"]

LOG = logging.getLogger(__name__)
FORMAT_VERSION = 2


@dataclass(frozen=True)
class TrainSettings:
    width: int = 16
    epochs: int = 30
    patience: int = 6
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    depth: int = 2  # convolutions per block (Amazon Mining Watch: 3)
    standardise: str = "band"  # or "chip" (minescan.chips.inputs)
    indices: bool = False
    augment: tuple[str, ...] = ()  # radiometric: any of "gain", "haze", "blur"
    tta: bool = False
    arch: str = "minescan"  # or "amw" (minescan.chips.networks)


def _loss(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, pos_weight: torch.Tensor, batch: int
) -> float:
    net.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = net(x[i : i + batch].to(pos_weight.device))
            total += float(
                nn.functional.binary_cross_entropy_with_logits(
                    logits,
                    y[i : i + batch].to(pos_weight.device),
                    pos_weight=pos_weight,
                    reduction="sum",
                )
            )
    return total / max(len(x), 1)


def train_member(
    kind: str,
    x_train: torch.Tensor,
    y_train: np.ndarray,
    x_val: torch.Tensor,
    y_val: np.ndarray,
    settings: TrainSettings,
    seed: int,
    raw: np.ndarray | None = None,
    normaliser: Normaliser | None = None,
    band_names: tuple[str, ...] | None = None,
) -> tuple[nn.Module, dict]:
    """One network, early-stopped on the validation loss; returns it (on the CPU) and its
    training history. With radiometric augmentation each batch is drawn from the ``raw``
    reflectance, changed, then standardised by ``normaliser``; otherwise ``x_train`` (already
    standardised) is used as it is."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    # its own stream, so the flips and batch order stay those of the unaugmented recipe
    rng = np.random.default_rng(seed)
    augment = bool(settings.augment) and raw is not None and normaliser is not None
    dev = device()
    net = make_network(kind, x_val.shape[-3], settings.width, settings.depth, settings.arch)
    net = net.to(dev)
    optimiser = torch.optim.AdamW(
        net.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    y_tr = torch.tensor(np.asarray(y_train, dtype=np.float32))
    y_va = torch.tensor(np.asarray(y_val, dtype=np.float32))
    positives = float(y_tr.sum())
    pos_weight = torch.tensor((len(y_tr) - positives) / max(positives, 1.0), device=dev)
    best = (np.inf, 0, copy.deepcopy(net.state_dict()))
    history = []
    start = time.perf_counter()
    for epoch in range(settings.epochs):
        net.train()
        order = torch.randperm(len(y_tr), generator=generator)
        for i in range(0, len(order), settings.batch_size):
            rows = order[i : i + settings.batch_size]
            if len(rows) < 2:  # batch norm needs two samples
                continue
            if augment:
                changed = radiometric(raw[rows.numpy()], settings.augment, rng, band_names)
                xb = normaliser(changed)
            else:
                xb = x_train[rows]
            xb = dihedral(xb, generator).to(dev)
            loss = nn.functional.binary_cross_entropy_with_logits(
                net(xb), y_tr[rows].to(dev), pos_weight=pos_weight
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        val_loss = _loss(net, x_val, y_va, pos_weight, 256)
        history.append(val_loss)
        if val_loss < best[0]:
            best = (val_loss, epoch, copy.deepcopy(net.state_dict()))
        elif epoch - best[1] >= settings.patience:
            break
    net.load_state_dict(best[2])
    info = {
        "seed": seed,
        "epochs_run": len(history),
        "best_epoch": best[1] + 1,
        "best_val_loss": float(best[0]),
        "seconds": time.perf_counter() - start,
        "seconds_per_epoch": (time.perf_counter() - start) / max(len(history), 1),
        "device": str(dev),
    }
    return net.cpu().eval(), info


@dataclass
class Ensemble:
    """Seeded members of one network kind, their normaliser and a decision threshold."""

    kind: str
    width: int
    normaliser: Normaliser
    members: list[nn.Module]
    threshold: float = 0.5
    info: list[dict] = field(default_factory=list)
    depth: int = 2
    tta: bool = False
    threshold_specificity: float | None = None  # for specificity 0.99 on validation chips
    arch: str = "minescan"
    band_names: tuple[str, ...] | None = None  # the input bands, in order (None: CHIP_BANDS)
    operating_points: dict | None = None  # named thresholds chosen on validation chips

    def member_probabilities(self, chips: np.ndarray, batch: int = 256) -> np.ndarray:
        """(members, n) probabilities of (n, h, w, bands) chips, or (n, 2, h, w, bands) pairs
        (the mean over the eight dihedral views with ``tta``)."""
        expected = 5 if self.kind in PAIR_KINDS else 4
        if chips.ndim != expected or chips.shape[-1] != self.normaliser.bands:
            raise MinescanInputError(
                "chips",
                f"array of shape {chips.shape} does not fit a {self.kind} model on "
                f"{self.normaliser.bands} bands",
            )
        out = np.empty((len(self.members), len(chips)), dtype=np.float32)
        with torch.no_grad():
            for i in range(0, len(chips), batch):
                x = self.normaliser(chips[i : i + batch])
                views = dihedral_views(x) if self.tta else [x]
                for m, net in enumerate(self.members):
                    p = torch.stack([torch.sigmoid(net(v)) for v in views]).mean(dim=0)
                    out[m, i : i + batch] = p.numpy()
        return out

    def probability(self, chips: np.ndarray) -> np.ndarray:
        return self.member_probabilities(chips).mean(axis=0)

    def to_record(self) -> dict:
        return {
            "kind": self.kind,
            "width": self.width,
            "depth": self.depth,
            "tta": self.tta,
            "bands": self.normaliser.channels,
            "normaliser": self.normaliser.to_record(),
            "members": [net.state_dict() for net in self.members],
            "threshold": float(self.threshold),
            "threshold_specificity": self.threshold_specificity,
            "info": self.info,
            "arch": self.arch,
            "band_names": list(self.band_names) if self.band_names else None,
            "operating_points": self.operating_points,
        }

    @classmethod
    def from_record(cls, record: dict) -> Ensemble:
        # "bands" is the network's input channels; version-1 files have no depth or tta
        depth = int(record.get("depth", 2))
        arch = str(record.get("arch", "minescan"))
        members = []
        for state in record["members"]:
            net = make_network(
                record["kind"], int(record["bands"]), int(record["width"]), depth, arch
            )
            net.load_state_dict(state)
            members.append(net.eval())
        return cls(
            record["kind"],
            int(record["width"]),
            Normaliser.from_record(record["normaliser"], int(record["bands"])),
            members,
            float(record["threshold"]),
            list(record.get("info", [])),
            depth,
            bool(record.get("tta", False)),
            record.get("threshold_specificity"),
            arch,
            tuple(record["band_names"]) if record.get("band_names") else None,
            record.get("operating_points"),
        )


def fit_ensemble(
    kind: str,
    train: np.ndarray,
    y_train: np.ndarray,
    val: np.ndarray,
    y_val: np.ndarray,
    settings: TrainSettings,
    seeds: list[int],
    band_names: tuple[str, ...] | None = None,
) -> Ensemble:
    """Members trained on the same chips with different seeds (``train``/``val`` as for
    ``Ensemble.member_probabilities``)."""
    normaliser = Normaliser.fit(train, settings.standardise, settings.indices)
    x_train, x_val = normaliser(train), normaliser(val)
    members, info = [], []
    for seed in seeds:
        net, record = train_member(
            kind, x_train, y_train, x_val, y_val, settings, seed, train, normaliser, band_names
        )
        members.append(net)
        info.append(record)
        LOG.info(
            "  %s member seed %d: %d epochs (best %d), %.2f s/epoch on %s",
            kind,
            seed,
            record["epochs_run"],
            record["best_epoch"],
            record["seconds_per_epoch"],
            record["device"],
        )
    return Ensemble(
        kind,
        settings.width,
        normaliser,
        members,
        0.5,
        info,
        settings.depth,
        settings.tta,
        arch=settings.arch,
        band_names=band_names,
    )


def save_models(models: dict[str, Ensemble], path: str | Path, provenance: dict) -> None:
    """The task -> ensemble mapping in one torch file, with the provenance."""
    record = {
        "format": "minescan-chip-cnn",
        "format_version": FORMAT_VERSION,
        "tasks": {task: ensemble.to_record() for task, ensemble in models.items()},
    }
    write_torch(record, path, provenance)


def load_models(path: str | Path) -> dict[str, Ensemble]:
    path = Path(path)
    if not path.is_file():
        raise MinescanInputError(str(path), "model file not found", "train it: real_chips")
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a file that is not its own
        raise MinescanInputError(
            str(path), f"not a torch model file ({error.__class__.__name__})", "give cnn_model.pt"
        ) from error
    if not isinstance(record, dict) or record.get("format") != "minescan-chip-cnn":
        raise MinescanInputError(
            str(path), "not a minescan chip CNN file", "give the cnn_model.pt of real_chips"
        )
    return {task: Ensemble.from_record(r) for task, r in record["tasks"].items()}
