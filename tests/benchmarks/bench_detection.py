"""Benchmark of detection throughput (not a test).

    python tests/benchmarks/bench_detection.py [--tiles 24] [--size 448] [--image-size 448]
        [--folder ../shared/data/tiles/brazil_tailings] [--weights W.pt --scaling scaling.json]

On the tiles of a labelled folder (default: the real brazil_tailings tiles when present, else
simulated ones), with a detector (default: a 1-epoch model trained here; or the weights and
scaling of a real run), measures in one run, on the same files:
- minescan: ``detect_tiles``, the whole path of the prediction rule (read the GeoTIFF, compute
  and scale the channels, windows, NMS across windows, merge, georeference);
- ultralytics: plain ``model.predict`` on the dataset's uint8 images of the same tiles;
each with torch on one core and on all cores (and on the GPU when there is one, with the
training time per epoch). Prints tiles/s and km²/h at 10 m pixels.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures
from fixtures.detection import DATASET_OPTIONS, labelled_folder  # noqa: E402

from minescan.detection import steps  # noqa: E402
from minescan.detection.dataset import build_dataset
from minescan.detection.predict import Detector, detect_tiles  # noqa: E402
from minescan.ml.compat import offline_ultralytics  # noqa: E402
from minescan.ml.tile_tables import tile_table_from_folder  # noqa: E402

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tiles" / "brazil_tailings"


def timed(fn) -> float:
    fn()  # warm-up: model fusion, first allocations
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiles", type=int, default=24)
    parser.add_argument("--size", type=int, default=448, help="simulated tile size")
    parser.add_argument("--image-size", type=int, default=448)
    parser.add_argument("--folder", type=Path, default=REAL if REAL.is_dir() else None)
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--scaling", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_detection_"))
    settings = offline_ultralytics(work / "ultralytics")
    import torch

    folder = args.folder or labelled_folder(work / "tiles", args.tiles, args.size)
    tiles = tile_table_from_folder(folder).iloc[: args.tiles]
    build_dataset(
        tiles=tiles,
        channels=["B4", "B3", "B2"],
        out_dir=work / "dataset",
        table_out=work / "tiles.csv",
        scaling_out=work / "scaling.json",
        summary_out=work / "dataset.json",
        provenance={},
        **{**DATASET_OPTIONS, "chip_px": args.image_size, "block_km": 50, "min_object_pixels": 20},
    )
    weights, scaling = args.weights, args.scaling or work / "scaling.json"
    epoch_seconds = {}
    if weights is None:
        summary = steps.train(
            dataset_dir=str(work / "dataset"),
            run="final",
            run_dir=work / "train" / "run",
            weights_out=work / "train" / "weights.pt",
            summary_out=work / "train" / "summary.json",
            curves_out=work / "train" / "curves.png",
            start="yolo11n.yaml",
            settings_dir=settings,
            workers=0,
            provenance={},
            epochs=1,
            image_size=args.image_size,
            batch=8,
            patience=10,
            seed=0,
        )
        epoch_seconds[summary["device"]] = summary["seconds_per_epoch"]
        weights = work / "train" / "weights.pt"
    detector = Detector.load(weights, scaling, args.image_size, settings)
    records = tiles[["tile", "image"]].to_dict("records")
    images = sorted(str(p) for p in (work / "dataset" / "images").glob("*.tif"))[: len(records)]
    pixels = sum(int(w) * int(h) for w, h in zip(*_sizes(tiles), strict=True))
    km2 = pixels * 100 / 1e6
    devices = [("cpu", 1), ("cpu", os.cpu_count())]
    if torch.cuda.is_available():
        devices.append(("0", os.cpu_count()))
    rows = []
    for device, threads in devices:
        torch.set_num_threads(threads)
        ours = timed(
            lambda device=device: detect_tiles(
                detector, records, confidence=0.01, iou=0.5, overlap=64, device=device
            )
        )
        plain = timed(
            lambda device=device: detector.model.predict(
                images, imgsz=args.image_size, conf=0.01, device=device, verbose=False
            )
        )
        for name, seconds in (("minescan detect_tiles", ours), ("ultralytics predict", plain)):
            rows.append(
                {
                    "path": name,
                    "device": "cuda" if device != "cpu" else f"cpu x{threads}",
                    "tiles": len(records),
                    "seconds": round(seconds, 3),
                    "tiles_per_s": round(len(records) / seconds, 2),
                    "km2_per_h_at_10m": round(km2 / seconds * 3600),
                }
            )
    print(
        json.dumps(
            {
                "folder": str(folder),
                "tiles_km2": round(km2, 1),
                "rows": rows,
                "train_seconds_per_epoch": epoch_seconds,
            },
            indent=2,
        )
    )


def _sizes(tiles):
    import rasterio

    widths, heights = [], []
    for path in tiles["image"]:
        with rasterio.open(path) as src:
            widths.append(src.width)
            heights.append(src.height)
    return widths, heights


if __name__ == "__main__":
    main()
