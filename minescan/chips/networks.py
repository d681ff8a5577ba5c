"""The chip networks: minescan's patch, siamese and fused CNNs, and Amazon Mining Watch's.

- ``minescan`` architecture: three blocks of ``depth`` 3x3 convolutions with batch norm
  (``width``, 2 x ``width``, 4 x ``width`` filters; 48 -> 24 -> 12 -> 6 px), global average
  pooling, one dense layer.
- ``amw`` architecture (patch only), as Amazon Mining Watch's 2026 members: three blocks of
  three 3x3 convolutions of ``width`` filters without batch norm, max pooling by 2, 2 and 3
  (48 -> 24 -> 12 -> 4 px), flattened, dense 64-64-32 with dropout 0.3, one output.

Every network returns logits; the ensembles apply the sigmoid.
"""

from __future__ import annotations

import torch
from torch import nn

KINDS = ("patch", "siamese", "fused")
PAIR_KINDS = ("siamese", "fused")
ARCHITECTURES = ("minescan", "amw")


def _block(c_in: int, c_out: int, depth: int = 2) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k in range(depth):
        layers += [
            nn.Conv2d(c_in if k == 0 else c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers, nn.MaxPool2d(2))


class Encoder(nn.Sequential):
    """Three conv blocks (48 -> 24 -> 12 -> 6 px) and global average pooling: 4 * width."""

    def __init__(self, bands: int, width: int, depth: int = 2) -> None:
        super().__init__(
            _block(bands, width, depth),
            _block(width, 2 * width, depth),
            _block(2 * width, 4 * width, depth),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )


class PatchCNN(nn.Module):
    def __init__(self, bands: int = 6, width: int = 16, depth: int = 2) -> None:
        super().__init__()
        self.encoder = Encoder(bands, width, depth)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(4 * width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, bands, h, w) -> (n,)
        return self.head(self.encoder(x)).squeeze(1)


class SiameseCNN(nn.Module):
    def __init__(self, bands: int = 6, width: int = 16, depth: int = 2) -> None:
        super().__init__()
        self.encoder = Encoder(bands, width, depth)
        self.head = nn.Sequential(
            nn.Dropout(0.2), nn.Linear(8 * width, 2 * width), nn.ReLU(), nn.Linear(2 * width, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, 2, bands, h, w) -> (n,)
        n = x.shape[0]
        features = self.encoder(x.flatten(0, 1)).view(n, 2, -1)
        before, after = features[:, 0], features[:, 1]
        return self.head(torch.cat([after, after - before], dim=1)).squeeze(1)


class FusedCNN(nn.Module):
    """A pair stacked as t0, t1 and t1 - t0 channels through one patch network."""

    def __init__(self, bands: int = 6, width: int = 16, depth: int = 2) -> None:
        super().__init__()
        self.patch = PatchCNN(3 * bands, width, depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, 2, bands, h, w) -> (n,)
        before, after = x[:, 0], x[:, 1]
        return self.patch(torch.cat([before, after, after - before], dim=1))


def make_network(
    kind: str, bands: int, width: int, depth: int = 2, arch: str = "minescan"
) -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; one of {ARCHITECTURES}")
    if arch == "amw":
        if kind != "patch":
            raise ValueError(f"the amw architecture is a patch network, not {kind!r}")
        return AMWNet(bands, width)
    networks = {"patch": PatchCNN, "siamese": SiameseCNN, "fused": FusedCNN}
    if kind not in networks:
        raise ValueError(f"unknown network kind {kind!r}; one of {KINDS}")
    return networks[kind](bands, width, depth)


class AMWNet(nn.Module):
    """Amazon Mining Watch's chip classifier for any number of bands (logits out)."""

    def __init__(self, bands: int = 3, width: int = 32, size: int = 48) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = bands
        for pool in (2, 2, 3):
            for _ in range(3):
                layers += [nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = width
            layers.append(nn.MaxPool2d(pool))
        self.features = nn.Sequential(*layers)
        side = size // 2 // 2 // 3
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(width * side * side, 64),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(64, 64),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(64, 32),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(32, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, bands, h, w) -> (n,)
        return self.head(self.features(x)).squeeze(1)
