"""Keras HDF5 chip classifiers rebuilt in torch from the file's own arrays (h5py, no Keras).

A Keras 2 ``.h5`` file holds the architecture as JSON in its ``model_config`` attribute and
the weights under ``model_weights/<group>/<layer>/<name>:0``. The network is rebuilt layer by
layer from that list, so any plain stack of the supported layers loads; anything else is
refused by name rather than guessed at. Keras computes in NHWC, torch in NCHW: the input is
permuted once, and Flatten permutes back so the first dense layer sees Keras' order.

A ``Functional`` file of several ``Sequential`` models fed by one input and joined by
``Concatenate`` or ``Average`` (Amazon Mining Watch's ensembles) loads as its members.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn

from minescan.errors import MinescanInputError

ACTIVATIONS = {"linear": None, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "softmax": None}
IGNORED = {"InputLayer", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout"}
JOINS = {"Concatenate", "Average"}


class Softmax(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=1)


class ToChannelsLast(nn.Module):
    """Keras' Flatten order: (n, c, h, w) -> (n, h, w, c) before flattening."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 2, 3, 1) if x.ndim == 4 else x


class FrozenBatchNorm(nn.Module):
    """Inference-mode BatchNormalization over the channel axis (dim 1 in torch's layout)."""

    def __init__(self, mean, var, gamma, beta, eps: float) -> None:
        super().__init__()
        scale = gamma / np.sqrt(var + eps)
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        self.register_buffer("shift", torch.as_tensor(beta - mean * scale, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return x * self.scale.view(shape) + self.shift.view(shape)


@dataclass
class KerasNetwork:
    """A rebuilt Keras file: its members (one for a plain model) and how they were joined."""

    path: Path
    input_shape: tuple[int, int, int]  # (h, w, bands), Keras order
    members: list[nn.Module]
    member_names: list[str]
    join: str = "single"  # single | Concatenate | Average
    outputs: list[str] = field(default_factory=list)  # last activation of each member
    device: str = "cpu"

    def to(self, device: str) -> KerasNetwork:
        """Move the members to a torch device ('cpu', 'cuda'); outputs still come back as NumPy."""
        self.members = [m.to(device) for m in self.members]
        self.device = device
        return self

    def member_outputs(self, chips: np.ndarray, batch: int = 512) -> np.ndarray:
        """(members, n, units) outputs of (n, h, w, bands) float chips, already normalised."""
        if chips.ndim != 4 or tuple(chips.shape[1:]) != self.input_shape:
            raise MinescanInputError(
                "chips",
                f"array of shape {chips.shape} does not fit {self.path.name}, "
                f"which takes (n, {', '.join(map(str, self.input_shape))})",
            )
        parts = []
        with torch.no_grad():
            for i in range(0, len(chips), batch):
                x = torch.from_numpy(np.ascontiguousarray(chips[i : i + batch], np.float32))
                x = x.permute(0, 3, 1, 2).to(self.device)
                parts.append(torch.stack([m(x) for m in self.members]).cpu().numpy())
        if not parts:
            units = 1
            return np.empty((len(self.members), 0, units), dtype=np.float32)
        return np.concatenate(parts, axis=1)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _weights(group: h5py.Group, layer: str) -> dict[str, np.ndarray]:
    """A layer's arrays by short name ('kernel', 'bias', ...) from the group that lists it."""
    out = {}
    for name in (_text(n) for n in group.attrs.get("weight_names", [])):
        parts = name.split("/")
        if len(parts) >= 2 and parts[-2] == layer:
            out[parts[-1].split(":")[0]] = np.asarray(group[name], dtype=np.float32)
    return out


def _refuse(path: Path, layer: dict, why: str) -> MinescanInputError:
    name = layer.get("config", {}).get("name", "?")
    return MinescanInputError(
        str(path),
        f"layer '{name}' ({layer['class_name']}) {why}",
        "only Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization and "
        "Activation (relu, sigmoid, softmax, linear) stacks can be rebuilt",
    )


def _activation(path: Path, layer: dict, name: str) -> list[nn.Module]:
    if name not in ACTIVATIONS:
        raise _refuse(path, layer, f"has activation '{name}', which is not supported")
    if name == "softmax":
        return [Softmax()]
    module = ACTIVATIONS[name]
    return [module()] if module else []


def _layer(path: Path, layer: dict, group: h5py.Group, shape: tuple) -> tuple[list, tuple]:
    """Torch modules for one Keras layer and the output shape (c, h, w) or (units,)."""
    kind, cfg = layer["class_name"], layer.get("config", {})
    name = cfg.get("name", "")
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise _refuse(path, layer, "is channels_first")
    if kind in IGNORED:
        return [], shape
    if kind == "Conv2D":
        w = _weights(group, name)
        kh, kw = cfg["kernel_size"]
        stride, dilation = (
            tuple(cfg.get("strides", (1, 1))),
            tuple(cfg.get("dilation_rate", (1, 1))),
        )
        if cfg.get("groups", 1) != 1:
            raise _refuse(path, layer, "is a grouped convolution")
        padding = cfg.get("padding", "valid")
        if padding == "same" and stride != (1, 1):
            raise _refuse(path, layer, "pads 'same' with a stride other than 1")
        if padding not in ("same", "valid"):
            raise _refuse(path, layer, f"has padding '{padding}'")
        conv = nn.Conv2d(
            shape[0],
            cfg["filters"],
            (kh, kw),
            stride,
            padding,
            dilation,
            bias=cfg.get("use_bias", True),
        )
        conv.weight.data = torch.from_numpy(w["kernel"].transpose(3, 2, 0, 1).copy())  # HWIO->OIHW
        if conv.bias is not None:
            conv.bias.data = torch.from_numpy(w["bias"])
        h, wd = shape[1], shape[2]
        if padding == "valid":
            h = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
            wd = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        return [conv, *_activation(path, layer, cfg.get("activation", "linear"))], (
            cfg["filters"],
            h,
            wd,
        )
    if kind == "MaxPooling2D":
        pool = tuple(cfg.get("pool_size", (2, 2)))
        stride = tuple(cfg.get("strides") or pool)
        if cfg.get("padding", "valid") != "valid":
            raise _refuse(path, layer, "pads 'same'")
        h = (shape[1] - pool[0]) // stride[0] + 1
        wd = (shape[2] - pool[1]) // stride[1] + 1
        return [nn.MaxPool2d(pool, stride)], (shape[0], h, wd)
    if kind == "Flatten":
        return [ToChannelsLast(), nn.Flatten()], (int(np.prod(shape)),)
    if kind == "Dense":
        if len(shape) != 1:
            raise _refuse(path, layer, "is applied to an unflattened image")
        w = _weights(group, name)
        dense = nn.Linear(shape[0], cfg["units"], bias=cfg.get("use_bias", True))
        dense.weight.data = torch.from_numpy(w["kernel"].T.copy())  # (in, out) -> (out, in)
        if dense.bias is not None:
            dense.bias.data = torch.from_numpy(w["bias"])
        return [dense, *_activation(path, layer, cfg.get("activation", "linear"))], (cfg["units"],)
    if kind == "Activation":
        return _activation(path, layer, cfg.get("activation", "linear")), shape
    if kind == "BatchNormalization":
        axis = cfg.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if axis not in (-1, len(shape)):
            raise _refuse(path, layer, f"normalises axis {axis}, not the channels")
        w = _weights(group, name)
        n = shape[0]
        gamma = w.get("gamma", np.ones(n, np.float32))
        beta = w.get("beta", np.zeros(n, np.float32))
        bn = FrozenBatchNorm(
            w["moving_mean"], w["moving_variance"], gamma, beta, cfg.get("epsilon", 1e-3)
        )
        return [bn], shape
    raise _refuse(path, layer, "is not supported")


def _sequential(path: Path, layers: list[dict], group_of, input_shape) -> tuple[nn.Module, str]:
    """One Sequential stack; ``group_of(name)`` gives the HDF5 group listing a layer's arrays."""
    h, w, c = input_shape
    shape: tuple = (c, h, w)
    modules: list[nn.Module] = []
    last = "linear"
    for layer in layers:
        cfg = layer.get("config", {})
        mods, shape = _layer(path, layer, group_of(cfg.get("name", "")), shape)
        modules += mods
        if "activation" in cfg:
            last = cfg["activation"]
    if len(shape) != 1:
        raise MinescanInputError(str(path), "the network does not end in a flat output")
    return nn.Sequential(*modules).eval(), last


def _input_shape(path: Path, config: dict) -> tuple[int, int, int]:
    for layer in config["config"]["layers"]:
        cfg = layer.get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if shape:
            if len(shape) != 4:
                raise MinescanInputError(str(path), f"input shape {shape} is not (n, h, w, bands)")
            return tuple(int(s) for s in shape[1:])
    raise MinescanInputError(str(path), "model_config names no input shape")


def load_keras_h5(path: str | Path) -> KerasNetwork:
    """Rebuild a Keras 2 HDF5 classifier (a Sequential, or Sequentials joined) in torch."""
    path = Path(path)
    if not path.is_file():
        raise MinescanInputError(str(path), "no such model file")
    with h5py.File(path, "r") as f:
        if "model_config" not in f.attrs or "model_weights" not in f:
            raise MinescanInputError(
                str(path),
                "holds no Keras 2 model_config and model_weights",
                "save the model with Keras 2 as .h5 (model.save('x.h5'))",
            )
        config = json.loads(_text(f.attrs["model_config"]))
        weights = f["model_weights"]
        top = config["class_name"]
        input_shape = _input_shape(path, config)
        if top == "Sequential":
            layers = config["config"]["layers"]
            member, last = _sequential(path, layers, lambda n: weights.get(n, weights), input_shape)
            return KerasNetwork(path, input_shape, [member], [path.stem], "single", [last])
        if top not in ("Functional", "Model"):
            raise MinescanInputError(str(path), f"top-level model class '{top}' is not supported")
        members, names, lasts, join = [], [], [], None
        for layer in config["config"]["layers"]:
            kind = layer["class_name"]
            if kind == "InputLayer":
                continue
            if kind == "Sequential":
                group = weights[layer["config"]["name"]]
                inner = layer["config"]["layers"]
                member, last = _sequential(path, inner, lambda n, g=group: g, input_shape)
                members.append(member)
                names.append(layer["config"]["name"])
                lasts.append(last)
            elif kind in JOINS and join is None:
                join = kind
            else:
                raise _refuse(path, layer, "is not supported in a model of joined members")
        if not members:
            raise MinescanInputError(str(path), "the functional model holds no Sequential members")
        return KerasNetwork(path, input_shape, members, names, join or "single", lasts)
