"""The segmentation network: a segmentation-models-pytorch U-Net or FPN, saved with what it needs.

Encoders are built without pretrained weights (they would be downloads); a user with a local
encoder state dict (``encoder_weights``) starts from it. A saved model carries its
architecture, channels (the features behind them), uint8 scaling and chosen threshold, so a
prediction or scoring run needs nothing else and refuses a model trained on other channels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from minescan.errors import MinescanInputError
from minescan.ml.channels import Scaling
from minescan.ml.compat import ensure_torchvision_nms
from minescan.outputs import write_torch
from minescan.pixelmodels.features import Feature

ARCHITECTURES = ("unet", "fpn")


def build_network(
    arch: str,
    encoder: str,
    in_channels: int,
    encoder_depth: int = 5,
    encoder_weights: str | Path | None = None,
) -> torch.nn.Module:
    """A one-class network emitting logits; ``encoder_weights`` a local state dict file."""
    # timm (under smp) imports torchvision, whose PyPI wheel lacks its ops beside CPU torch.
    ensure_torchvision_nms()
    import segmentation_models_pytorch as smp

    if arch not in ARCHITECTURES:
        raise MinescanInputError("footprints.architectures", f"unknown {arch!r}", "unet or fpn")
    kind = {"unet": smp.Unet, "fpn": smp.FPN}[arch]
    options: dict[str, Any] = {"encoder_depth": int(encoder_depth)}
    if arch == "unet":
        options["decoder_channels"] = [256, 128, 64, 32, 16][5 - int(encoder_depth) :]
    else:
        # smp's FPN head upsamples its stride-4 map by 4, right for 5 encoder stages only; a
        # shallower encoder leaves the pyramid's finest level at a finer stride.
        options["upsampling"] = 2 ** (int(encoder_depth) - 3)
    try:
        net = kind(encoder, encoder_weights=None, in_channels=in_channels, classes=1, **options)
    except (KeyError, ValueError, RuntimeError) as error:
        raise MinescanInputError(
            "footprints.encoder", f"cannot build {arch} with encoder {encoder!r} ({error})"
        ) from error
    if encoder_weights:
        state = torch.load(encoder_weights, map_location="cpu", weights_only=True)
        missing, _ = net.encoder.load_state_dict(state.get("state_dict", state), strict=False)
        if len(missing) == len(net.encoder.state_dict()):
            raise MinescanInputError(
                encoder_weights,
                f"no tensor fits encoder {encoder}",
                "give a state dict of the same encoder",
            )
    # Channels-last weights: torch's CPU convolutions then train about 25 % faster and predict
    # about 25 % faster on these small encoders (inputs may stay channels-first).
    return net.to(memory_format=torch.channels_last)


@dataclass
class Segmenter:
    """A trained network with its channels, scaling and threshold."""

    net: torch.nn.Module
    arch: str
    encoder: str
    encoder_depth: int
    features: list[Feature]
    scaling: Scaling
    threshold: float

    @property
    def channels(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (one halving per encoder level)."""
        return 2**self.encoder_depth

    def record(self) -> dict[str, Any]:
        return {
            "arch": self.arch,
            "encoder": self.encoder,
            "encoder_depth": self.encoder_depth,
            "features": [f.to_dict() for f in self.features],
            "scaling": self.scaling.to_dict(),
            "threshold": float(self.threshold),
            "state_dict": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
        }

    def save(self, path: str | Path, provenance: Mapping[str, Any], **extra: Any) -> None:
        write_torch({**self.record(), **extra}, path, provenance)


def load_segmenter(path: str | Path, channels: Sequence[str] | None = None) -> Segmenter:
    """A saved segmenter; ``channels`` (the configured ones) must be the ones it trained on."""
    try:
        record = torch.load(path, map_location="cpu", weights_only=False)
        features = [Feature.from_dict(f) for f in record["features"]]
        scaling = Scaling(**{k: tuple(v) for k, v in record["scaling"].items()})
        arch, encoder, depth = record["arch"], record["encoder"], int(record["encoder_depth"])
    except (OSError, RuntimeError, KeyError, TypeError) as error:
        raise MinescanInputError(
            path, f"not a minescan segmentation model ({error})", "train one with footprints_train"
        ) from error
    names = [f.name for f in features]
    if channels is not None and list(channels) != names:
        raise MinescanInputError(
            path,
            f"the model was trained on channels {names}, the configuration asks for "
            f"{list(channels)}",
            "set footprints.channels to the model's channels, or retrain the model",
        )
    net = build_network(arch, encoder, len(features), depth)
    net.load_state_dict(record["state_dict"])
    net.eval()
    return Segmenter(net, arch, encoder, depth, features, scaling, float(record["threshold"]))
