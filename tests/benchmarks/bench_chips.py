"""Benchmark of the chip CNN (not a test): training time per epoch and tile-scanning throughput.

    taskset -c 0 python tests/benchmarks/bench_chips.py [--side 1024] [--stride 24]

Training: seconds per epoch of one patch-CNN and one siamese-CNN member on the real Amazon
chips (``../shared/data/chips/amazon_s2_change``; random reflectance when absent) at the
demo's and the full evaluation's widths, on the CPU with 1 and 2 threads and, when there is
one, on the GPU. Scanning: a ``side`` x ``side`` px 6-band image (10 m pixels) scored by the
CNN in 48 px windows at ``stride``, in km² per hour per core, next to the deployed kind of
pixel model (a compiled sparse L1-logistic model, ``minescan.probability.apply``) on the same
pixels: the pixel models' scan is the simple baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures
from fixtures.imagery import CHIPS  # noqa: E402

from minescan.chips.cnn import TrainSettings, device, fit_ensemble  # noqa: E402
from minescan.chips.load import CHIP_BANDS, band_columns, chip_features, load_chips  # noqa: E402
from minescan.chips.raster import score_windows  # noqa: E402
from minescan.chips.tasks import emergence_task, presence_task  # noqa: E402
from minescan.pixelmodels.features import compute_features  # noqa: E402
from minescan.pixelmodels.linear import fit_logistic_path  # noqa: E402
from minescan.probability.apply import CompiledModel  # noqa: E402


def chips_and_labels():
    if CHIPS.is_dir():
        chips = load_chips(CHIPS)
        presence = presence_task(chips)
        presence = presence[presence["y"].notna()]
        pairs = emergence_task(chips)
        return (
            chips.data[presence["chip"].to_numpy()],
            presence["y"].to_numpy(),
            chips.data[pairs[["t0", "t1"]].to_numpy()],
            pairs["y"].to_numpy(),
            "real Amazon chips",
        )
    rng = np.random.default_rng(0)
    images = rng.integers(100, 4000, (800, 48, 48, 6)).astype(np.float32)
    y = (np.arange(800) % 2).astype(float)
    return images, y, images[:600].reshape(300, 2, 48, 48, 6), y[:300], "random reflectance"


def epoch_seconds(kind, images, y, width, threads, epochs=2):
    torch.set_num_threads(threads)
    settings = TrainSettings(width=width, epochs=epochs, patience=epochs)
    n = len(y)
    val = np.arange(n) % 5 == 0
    ensemble = fit_ensemble(kind, images[~val], y[~val], images[val], y[val], settings, [0])
    return ensemble.info[0]["seconds_per_epoch"], int((~val).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--stride", type=int, default=24)
    args = parser.parse_args()
    images, y, pairs, y_pairs, source = chips_and_labels()
    result: dict = {"chips": source, "device": str(device()), "training": []}
    for width in (8, 16):
        for threads in (1, 2):
            for kind, x, labels in (("patch", images, y), ("siamese", pairs, y_pairs)):
                seconds, n = epoch_seconds(kind, x, labels, width, threads)
                result["training"].append(
                    {
                        "kind": kind,
                        "width": width,
                        "threads": threads,
                        "train_rows": n,
                        "s_per_epoch": round(seconds, 2),
                    }
                )

    # scanning: CNN windows against the compiled pixel model, one core
    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    image = rng.integers(100, 4000, (args.side, args.side, 6)).astype(np.float32)
    area_km2 = (args.side * 10 / 1000) ** 2
    settings = TrainSettings(width=16, epochs=1, patience=1)
    val = np.arange(len(y)) % 5 == 0
    cnn = fit_ensemble("patch", images[~val], y[~val], images[val], y[val], settings, [0, 1, 2])
    t = time.perf_counter()
    grid = score_windows(cnn, image, args.stride)
    t_cnn = time.perf_counter() - t

    features = chip_features()
    names = [f.name for f in features]
    sample = images[:, ::6, ::6].reshape(-1, 6)  # 64 pixels of every chip
    labels = np.repeat(y, sample.shape[0] // len(y))
    X = compute_features(band_columns(sample), features)
    path = fit_logistic_path(X, labels, X, labels, names, n_lambdas=6)
    compiled = CompiledModel.from_model(
        path.model_at(path.select(0.01), features, "logistic", "mine")
    )
    stack = np.ascontiguousarray(
        np.moveaxis(image, -1, 0)[[CHIP_BANDS.index(b) for b in compiled.bands]]
        .reshape(len(compiled.bands), -1)
        .astype(np.uint16)
    )
    t = time.perf_counter()
    compiled.probability(stack, 65536)
    t_pixel = time.perf_counter() - t
    result["scan"] = {
        "image_px": args.side,
        "area_km2": round(area_km2, 1),
        "stride_px": args.stride,
        "cnn_members": 3,
        "cnn_width": 16,
        "cnn_windows": int(grid.size),
        "cnn_s": round(t_cnn, 2),
        "cnn_km2_per_hour_per_core": round(area_km2 / t_cnn * 3600),
        "pixel_model_s": round(t_pixel, 3),
        "pixel_model_km2_per_hour_per_core": round(area_km2 / t_pixel * 3600),
        "pixel_model_speedup": round(t_cnn / t_pixel, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
