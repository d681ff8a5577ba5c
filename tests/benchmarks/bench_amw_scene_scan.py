"""Benchmark (not a test): minescan's shipped chip model (``shipped``) and Amazon Mining
Watch's published chip models over the two real mine-free Level-1C scenes of
``../shared/data/sentinel2``: false alarms per 100 km² at each model's thresholds, and
throughput against AMW's CPU scan of the basin (about 8,700 km² per vCPU-hour end to end).

    taskset -c 0 python tests/benchmarks/bench_amw_scene_scan.py [--threads 1] [--device cpu]
        [--models NAME ...] [--scenes FOLDER ...] [--stride PX] [--json OUT.json]

Per model and scene: windows scored (half-patch stride by default), km² of valid area they
cover, alarms per threshold as windows and as 8-connected sites per 100 km² (every alarm is
false: neither scene holds a mapped mine), the same after AMW's dual-threshold spatial prior
where the model has one, and km² per core-hour (``--threads`` torch threads; pin the process
to as many cores) end to end (read and resample the bands, score, write the score GeoTIFF)
next to the plain forward pass of the same windows, already cut and normalised.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from minescan.chips.amw_models import AMW_MODELS, load_amw_model  # noqa: E402
from minescan.chips.cnn import Ensemble  # noqa: E402
from minescan.chips.scene_scan import read_scene, scan_scene, write_score_raster  # noqa: E402
from minescan.chips.shipped import SHIPPED_MODEL, load_screen  # noqa: E402

AMW_KM2_PER_VCPU_HOUR = 8700.0
SCENES = [
    REPO.parent / "shared" / "data" / "sentinel2" / s for s in ("virginia_l1c", "brandenburg_l1c")
]


def forward_seconds(screen, folder: Path, grid: np.ndarray, stride: int) -> float:
    """Seconds of the networks alone over the windows the scan scored."""
    image, _, _ = read_scene(folder, screen.bands)
    windows = sliding_window_view(image, (screen.size, screen.size), axis=(0, 1))[
        ::stride, ::stride
    ]
    chosen = windows[np.isfinite(grid)]  # (n, bands, size, size)
    if isinstance(screen.network, Ensemble):  # minescan's: its normaliser, then its members
        ensemble = screen.network
        x = ensemble.normaliser(np.moveaxis(chosen, 1, -1))
        start = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(x), 512):
                for m in ensemble.members:
                    m(x[i : i + 512])
        return time.perf_counter() - start
    x = torch.from_numpy(screen.normalise(np.moveaxis(chosen, 1, -1))).permute(0, 3, 1, 2)
    x = x.contiguous().to(screen.network.device)
    members = screen.network.members
    with torch.no_grad():
        for m in members:  # warm-up (cuDNN plans, allocator)
            m(x[:64])
        if x.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, len(x), 512):
            for m in members:
                m(x[i : i + 512])
        if x.is_cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["shipped", *AMW_MODELS])
    parser.add_argument("--scenes", nargs="*", type=Path, default=SCENES)
    parser.add_argument("--stride", type=int, default=None, help="default: half the window")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resampling", default="nearest")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            if name == "shipped":
                screen = load_screen(REPO / SHIPPED_MODEL)
            else:
                amw = REPO.parent / "shared" / "data" / "models" / "amw"
                screen = load_amw_model(name, amw)
                screen.network.to(args.device)
            for folder in args.scenes:
                start = time.perf_counter()
                figures = scan_scene(screen, folder, args.stride, args.resampling)
                write_score_raster(figures, Path(tmp) / f"{name}_{folder.name}.tif", {})
                end_to_end = time.perf_counter() - start
                stride = figures["stride_px"]
                forward = forward_seconds(screen, folder, figures["grid"], stride)
                units = args.threads if args.device == "cpu" else 1
                km2 = figures["valid_km2"]
                row = {k: v for k, v in figures.items() if k not in ("grid", "transform", "crs")}
                row |= {
                    "device": args.device,
                    "threads": args.threads,
                    "seconds_end_to_end": end_to_end,
                    "seconds_forward": forward,
                    "km2_per_unit_hour_end_to_end": km2 / (end_to_end * units / 3600),
                    "km2_per_unit_hour_forward": km2 / (forward * units / 3600),
                }
                rows.append(row)
                alarms = "; ".join(
                    f"{k} {v['threshold']:g}: {v['windows_per_100km2']:.2f} windows, "
                    f"{v['sites_per_100km2']:.2f} sites"
                    for k, v in row["thresholds"].items()
                )
                if "dual_threshold" in row:
                    d = row["dual_threshold"]
                    alarms += (
                        f"; dual ({d['t_main']:g}, {d['t_iso']:g}): "
                        f"{d['windows_per_100km2']:.2f} windows, {d['sites_per_100km2']:.2f} sites"
                    )
                unit = "core" if args.device == "cpu" else args.device
                print(
                    f"{name} | {folder.name} | {row['windows_scored']} windows | {km2:.1f} km² | "
                    f"max p {row['max_probability']:.3g} | per 100 km²: {alarms} | "
                    f"km²/{unit}-hour end to end {row['km2_per_unit_hour_end_to_end']:,.0f}, "
                    f"forward {row['km2_per_unit_hour_forward']:,.0f} "
                    f"({row['km2_per_unit_hour_end_to_end'] / AMW_KM2_PER_VCPU_HOUR:.1f} x AMW's "
                    "8,700 end to end)",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
