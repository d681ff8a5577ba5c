"""AMW's Keras HDF5 classifiers rebuilt in torch agree with an independent NumPy forward pass
of the same arrays, and files the rebuild cannot represent are refused by layer name."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from minescan.chips.amw_models import AMW_MODELS, load_amw_model
from minescan.chips.keras_h5 import load_keras_h5
from minescan.errors import MinescanInputError

FILES = [spec["file"] for spec in AMW_MODELS.values()]


def _conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Stride-1 'same' convolution in NHWC with an HWIO kernel, written out as a correlation."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    patches = sliding_window_view(padded, (kh, kw), axis=(1, 2))  # n, h, w, c, kh, kw
    return np.einsum("nhwcij,ijco->nhwo", patches, kernel, optimize=True) + bias


def _maxpool(x: np.ndarray, pool: int) -> np.ndarray:
    n, h, w, c = x.shape
    h2, w2 = h // pool, w // pool
    x = x[:, : h2 * pool, : w2 * pool]
    return x.reshape(n, h2, pool, w2, pool, c).max(axis=(2, 4))


def numpy_forward(layers: list[dict], arrays, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(logits before the last activation, outputs) of a Keras layer list, in float64."""
    x = x.astype(np.float64)
    logits = x
    for layer in layers:
        kind, cfg = layer["class_name"], layer["config"]
        if kind == "Conv2D":
            assert cfg["padding"] == "same" and tuple(cfg["strides"]) == (1, 1)
            x = _conv_same(x, arrays(cfg["name"], "kernel"), arrays(cfg["name"], "bias"))
        elif kind == "MaxPooling2D":
            assert cfg["pool_size"][0] == cfg["strides"][0]
            x = _maxpool(x, cfg["pool_size"][0])
        elif kind == "Flatten":
            x = x.reshape(len(x), -1)  # NHWC order, as Keras flattens
        elif kind == "Dense":
            x = x @ arrays(cfg["name"], "kernel") + arrays(cfg["name"], "bias")
        elif kind in ("InputLayer", "Dropout"):
            continue
        else:
            raise AssertionError(f"the reference pass has no {kind}")
        logits = x
        act = cfg.get("activation", "linear")
        if act == "relu":
            x = np.maximum(x, 0)
        elif act == "sigmoid":
            x = 0.5 * (1 + np.tanh(x / 2))  # the logistic, without overflow
        elif act == "softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
    return logits, x


def reference_members(path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per member: name, and a function of x giving (logits, outputs) straight from h5py."""
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        weights = f["model_weights"]
        if config["class_name"] == "Sequential":
            members = [(path.stem, config["config"]["layers"], None)]
        else:
            members = [
                (layer["config"]["name"], layer["config"]["layers"], layer["config"]["name"])
                for layer in config["config"]["layers"]
                if layer["class_name"] == "Sequential"
            ]
        out = []
        for name, layers, group in members:
            cache = {}
            for layer in layers:
                lname = layer["config"]["name"]
                g = (weights[group] if group else weights.get(lname, {})).get(lname)
                for key in ("kernel", "bias"):
                    if g is not None and f"{key}:0" in g:
                        cache[lname, key] = np.asarray(g[f"{key}:0"], dtype=np.float64)
            out.append((name, layers, cache))
    return out


@pytest.mark.parametrize("file", FILES)
def test_torch_rebuild_agrees_with_numpy_forward_pass(shared_data, file):
    import torch

    path = shared_data / "models" / "amw" / file
    network = load_keras_h5(path)
    h, w, c = network.input_shape
    rng = np.random.default_rng(7)
    # Reflectance-like inputs at two scales, so the hidden units and logits are far from zero.
    x = np.concatenate([rng.uniform(0, 0.3, (3, h, w, c)), rng.normal(0, 1, (2, h, w, c))]).astype(
        np.float32
    )
    outputs = network.member_outputs(x)
    reference = reference_members(path)
    assert [name for name, _, _ in reference] == network.member_names
    for (name, layers, cache), member, out in zip(reference, network.members, outputs, strict=True):
        ref_logits, ref_out = numpy_forward(layers, lambda n, k, c=cache: c[n, k], x)
        with torch.no_grad():
            logits = member[:-1](torch.from_numpy(x).permute(0, 3, 1, 2)).numpy()
        assert np.abs(ref_logits).max() > 1.0, f"{name}: logits too small to test"
        np.testing.assert_allclose(logits, ref_logits, rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-5, err_msg=name)


def test_ensemble_probability_is_the_mean_of_its_six_members(shared_data):
    screen = load_amw_model("amw-12band-ensemble-v3.2-3.7", shared_data / "models" / "amw")
    assert len(screen.network.members) == 6
    rng = np.random.default_rng(3)
    dn = rng.integers(0, 4000, (4, 48, 48, 12)).astype(np.float32)
    members = screen.network.member_outputs(np.clip(dn / 10000, 0, 1))[..., 0]
    np.testing.assert_allclose(screen.probability(dn), members.mean(axis=0), atol=1e-6)


def test_rgb_model_takes_the_mining_column_of_its_softmax(shared_data):
    screen = load_amw_model("amw-rgb-44px-v2.6", shared_data / "models" / "amw")
    rng = np.random.default_rng(5)
    dn = rng.integers(300, 2500, (6, 44, 44, 3)).astype(np.float32)
    both = screen.network.member_outputs(screen.normalise(dn))[0]
    np.testing.assert_allclose(both.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(screen.probability(dn), both[:, 1], atol=1e-7)


def _tiny_h5(path, layers: list[dict]) -> None:
    config = {"class_name": "Sequential", "config": {"name": "tiny", "layers": layers}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.create_group("model_weights")


def test_unsupported_layer_is_refused_by_name(tmp_path):
    path = tmp_path / "tiny.h5"
    _tiny_h5(
        path,
        [
            {
                "class_name": "InputLayer",
                "config": {"name": "in", "batch_input_shape": [None, 8, 8, 3]},
            },
            {"class_name": "LSTM", "config": {"name": "memory_cell", "units": 4}},
        ],
    )
    with pytest.raises(MinescanInputError, match=r"tiny\.h5.*'memory_cell' \(LSTM\)"):
        load_keras_h5(path)


def test_unsupported_activation_is_refused_by_name(tmp_path):
    path = tmp_path / "tiny.h5"
    _tiny_h5(
        path,
        [
            {
                "class_name": "InputLayer",
                "config": {"name": "in", "batch_input_shape": [None, 8, 8, 3]},
            },
            {"class_name": "Flatten", "config": {"name": "flat"}},
            {"class_name": "Activation", "config": {"name": "squash", "activation": "gelu"}},
        ],
    )
    with pytest.raises(MinescanInputError, match=r"'squash' \(Activation\) has activation 'gelu'"):
        load_keras_h5(path)


def test_chips_of_the_wrong_shape_are_refused(shared_data):
    screen = load_amw_model("amw-13band-v4.21", shared_data / "models" / "amw")
    with pytest.raises(MinescanInputError, match=r"\(n, 48, 48, 13\) in band order B01, B02"):
        screen.probability(np.zeros((2, 48, 48, 12), dtype=np.float32))
