"""Small CNNs on 48 x 48 x 6 Sentinel-2 patches, trained from scratch, as seeded ensembles.

- ``patch``: one chip -> probability of a mine (the Amazon Mining Watch set-up).
- ``siamese``: a pair (t0, t1) -> probability that a mine appeared; one encoder shared by both
  dates, the head sees the t1 features and their difference from t0.

Inputs are ``log1p`` reflectance standardised per band with the training chips' mean and
spread (stored with the model). Training: AdamW, binary cross-entropy weighted by the class
ratio, random flips and 90 degree rotations (the same for both dates of a pair), early
stopping on the validation loss of a spatially separate block, the best epoch kept. Each
ensemble member has its own seed; the ensemble's probability is the members' mean. CUDA is
used when available, otherwise the CPU with the given number of threads.
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

from minescan.errors import MinescanInputError
from minescan.outputs import write_torch

LOG = logging.getLogger(__name__)
KINDS = ("patch", "siamese")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class TrainSettings:
    width: int = 16
    epochs: int = 30
    patience: int = 6
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class Encoder(nn.Sequential):
    """Three conv blocks (48 -> 24 -> 12 -> 6 px) and global average pooling: 4 * width."""

    def __init__(self, bands: int, width: int) -> None:
        super().__init__(
            _block(bands, width),
            _block(width, 2 * width),
            _block(2 * width, 4 * width),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )


class PatchCNN(nn.Module):
    def __init__(self, bands: int = 6, width: int = 16) -> None:
        super().__init__()
        self.encoder = Encoder(bands, width)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(4 * width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, bands, h, w) -> (n,)
        return self.head(self.encoder(x)).squeeze(1)


class SiameseCNN(nn.Module):
    def __init__(self, bands: int = 6, width: int = 16) -> None:
        super().__init__()
        self.encoder = Encoder(bands, width)
        self.head = nn.Sequential(
            nn.Dropout(0.2), nn.Linear(8 * width, 2 * width), nn.ReLU(), nn.Linear(2 * width, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, 2, bands, h, w) -> (n,)
        n = x.shape[0]
        features = self.encoder(x.flatten(0, 1)).view(n, 2, -1)
        before, after = features[:, 0], features[:, 1]
        return self.head(torch.cat([after, after - before], dim=1)).squeeze(1)


def make_network(kind: str, bands: int, width: int) -> nn.Module:
    if kind == "patch":
        return PatchCNN(bands, width)
    if kind == "siamese":
        return SiameseCNN(bands, width)
    raise ValueError(f"unknown network kind {kind!r}; one of {KINDS}")


@dataclass
class Normaliser:
    mean: np.ndarray  # (bands,)
    scale: np.ndarray

    @classmethod
    def fit(cls, chips: np.ndarray) -> Normaliser:
        """From (n, h, w, bands) (or (n, 2, h, w, bands)) reflectance x 10000."""
        logs = np.log1p(chips.reshape(-1, chips.shape[-1]).astype(np.float64))
        return cls(logs.mean(axis=0), np.maximum(logs.std(axis=0), 1e-6))

    def __call__(self, chips: np.ndarray) -> torch.Tensor:
        """Channels-first float32 tensor of (..., h, w, bands) reflectance."""
        x = (np.log1p(np.clip(chips, 0, None)) - self.mean) / self.scale
        return torch.from_numpy(np.moveaxis(x, -1, -3).astype(np.float32))


def dihedral(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random flip and 90 degree rotation per sample, the same for every date of a pair."""
    out = x.clone()
    choice = torch.randint(0, 8, (x.shape[0],), generator=generator)
    for k in range(8):
        rows = torch.nonzero(choice == k).squeeze(1)
        if rows.numel() == 0:
            continue
        part = torch.rot90(x[rows], k % 4, dims=(-2, -1))
        out[rows] = part.flip(-1) if k >= 4 else part
    return out


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
) -> tuple[nn.Module, dict]:
    """One network, early-stopped on the validation loss; returns it (on the CPU) and its
    training history."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    dev = device()
    net = make_network(kind, x_train.shape[-3], settings.width).to(dev)
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
            xb = dihedral(x_train[rows], generator).to(dev)
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

    def member_probabilities(self, chips: np.ndarray, batch: int = 256) -> np.ndarray:
        """(members, n) probabilities of (n, h, w, bands) chips, or (n, 2, h, w, bands) pairs."""
        expected = 5 if self.kind == "siamese" else 4
        if chips.ndim != expected or chips.shape[-1] != len(self.normaliser.mean):
            raise MinescanInputError(
                "chips",
                f"array of shape {chips.shape} does not fit a {self.kind} model on "
                f"{len(self.normaliser.mean)} bands",
            )
        out = np.empty((len(self.members), len(chips)), dtype=np.float32)
        with torch.no_grad():
            for i in range(0, len(chips), batch):
                x = self.normaliser(chips[i : i + batch])
                for m, net in enumerate(self.members):
                    out[m, i : i + batch] = torch.sigmoid(net(x)).numpy()
        return out

    def probability(self, chips: np.ndarray) -> np.ndarray:
        return self.member_probabilities(chips).mean(axis=0)

    def to_record(self) -> dict:
        return {
            "kind": self.kind,
            "width": self.width,
            "bands": len(self.normaliser.mean),
            "normaliser": {
                "mean": self.normaliser.mean.tolist(),
                "scale": self.normaliser.scale.tolist(),
            },
            "members": [net.state_dict() for net in self.members],
            "threshold": float(self.threshold),
            "info": self.info,
        }

    @classmethod
    def from_record(cls, record: dict) -> Ensemble:
        members = []
        for state in record["members"]:
            net = make_network(record["kind"], int(record["bands"]), int(record["width"]))
            net.load_state_dict(state)
            members.append(net.eval())
        norm = record["normaliser"]
        return cls(
            record["kind"],
            int(record["width"]),
            Normaliser(np.asarray(norm["mean"]), np.asarray(norm["scale"])),
            members,
            float(record["threshold"]),
            list(record.get("info", [])),
        )


def fit_ensemble(
    kind: str,
    train: np.ndarray,
    y_train: np.ndarray,
    val: np.ndarray,
    y_val: np.ndarray,
    settings: TrainSettings,
    seeds: list[int],
) -> Ensemble:
    """Members trained on the same chips with different seeds (``train``/``val`` as for
    ``Ensemble.member_probabilities``)."""
    normaliser = Normaliser.fit(train)
    x_train, x_val = normaliser(train), normaliser(val)
    members, info = [], []
    for seed in seeds:
        net, record = train_member(kind, x_train, y_train, x_val, y_val, settings, seed)
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
    return Ensemble(kind, settings.width, normaliser, members, 0.5, info)


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
