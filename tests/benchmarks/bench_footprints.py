"""Benchmark of footprint segmentation throughput (not a test).

    python tests/benchmarks/bench_footprints.py [--tiles 6] [--size 512] [--encoder resnet18]
        [--model results/footprints/model/brazil_tailings/unet/model.pt] [--threads 1]

On real Sentinel-2 pixels (the Virginia scene of ../shared/data/sentinel2, B2 B3 B4 at 10 m, cut
into ``--size`` px minescan tiles of one shard), measures in one run, on the same pixels:
- minescan: ``predict_shard``, the whole path of the prediction rule (read the GeoTIFF, compute
  and scale the channels, overlapping windows, blending, probability and mask COGs, polygons
  with areas, GeoParquet);
- plain: the network's forward pass alone over the same windows, already scaled in memory;
and the training time per epoch on the real brazil_tailings tiles (``--train-tiles`` tiles,
two 224 px chips each). Prints km² per core-hour (and per GPU-hour when there is a GPU).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures
from fixtures.detection import write_minescan_tile  # noqa: E402

from minescan.footprints.data import fit_scaling, load_pixels, resolve  # noqa: E402
from minescan.footprints.model import Segmenter, build_network, load_segmenter  # noqa: E402
from minescan.footprints.steps import predict_shard  # noqa: E402
from minescan.footprints.train import TrainOptions, train_segmenter  # noqa: E402
from minescan.ml.background import background_tiles  # noqa: E402
from minescan.ml.channels import Scaling  # noqa: E402
from minescan.ml.splits import assign_splits, spatial_groups  # noqa: E402
from minescan.ml.tile_tables import tile_table_from_folder  # noqa: E402
from minescan.pixelmodels.features import Feature  # noqa: E402

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CHANNELS = ["B4", "B3", "B2"]


def shard_of_real_tiles(folder: Path, count: int, size: int) -> tuple[Path, Path, float]:
    """A shard of ``count`` real tiles (B2 B3 B4) and its status table; km² of its pixels."""
    folder.mkdir(parents=True)
    rows, km2 = [], 0.0
    tiles = background_tiles(SHARED / "sentinel2" / "virginia_l1c", ["B2", "B3", "B4"], size)
    for index, (tile_id, image) in enumerate(tiles):
        if index == count:
            break
        write_minescan_tile(folder / f"{tile_id}.tif", image.data, None, index, image.bands)
        rows.append({"cell_id": tile_id, "tile": f"{tile_id}.tif", "status": "ok"})
        km2 += size * size * 100 / 1e6
    status = folder.parent / "status.csv"
    pd.DataFrame(rows).to_csv(status, index=False)
    return folder, status, km2


def untrained(path: Path, encoder: str, depth: int) -> Path:
    net = build_network("unet", encoder, 3, depth)
    scaling = Scaling(tuple(CHANNELS), (300.0,) * 3, (3000.0,) * 3)
    features = [Feature(c, c) for c in CHANNELS]
    Segmenter(net, "unet", encoder, depth, features, scaling, 0.5).save(path, {})
    return path


def forward_only(segmenter: Segmenter, tiles: list[Path], window: int, overlap: int) -> float:
    """Seconds of the network's forward passes over the windows of ``tiles``, nothing else."""
    import torch

    from minescan.ml.boxes import windows
    from minescan.ml.channels import channel_stack
    from minescan.ml.tiles import read_image

    batches = []
    for path in tiles:
        image = read_image(path, need_mine=False)
        stack = channel_stack(image.data, image.bands, segmenter.features)
        pixels = np.moveaxis(segmenter.scaling.apply(stack, image.valid), -1, 0)
        height, width = image.shape
        cuts = [
            pixels[:, y : y + window, x : x + window]
            for y in windows(height, window, overlap)
            for x in windows(width, window, overlap)
        ]
        batches.append(torch.from_numpy(np.stack(cuts).astype(np.float32) / 255.0))
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in batches:
            for first in range(0, len(batch), 4):
                segmenter.net(batch[first : first + 4])
    return time.perf_counter() - started


def epoch_seconds(encoder: str, depth: int, count: int) -> float | None:
    folder = SHARED / "tiles" / "brazil_tailings"
    if not folder.is_dir():
        return None
    table = tile_table_from_folder(folder).head(count)
    table["group"] = spatial_groups(table, "block", 50)
    table["split"], _ = assign_splits(table["group"], 2, 0.0, 0)
    features = resolve(CHANNELS, table["image"].iloc[0])
    scaling = fit_scaling(table, features, (1, 99), 0)
    tiles = load_pixels(table, features, scaling)
    options = TrainOptions(encoder=encoder, encoder_depth=depth, epochs=1, chip_px=224)
    _, history, _ = train_segmenter(tiles, [], features, scaling, options)
    return float(history["train_seconds"].iloc[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiles", type=int, default=6)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--window", type=int, default=448)
    parser.add_argument("--overlap", type=int, default=64)
    parser.add_argument("--encoder", default="resnet18")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--model", type=Path, help="a trained model.pt (default: untrained)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--train-tiles", type=int, default=16)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="bench_footprints_"))
    shard, status, km2 = shard_of_real_tiles(work / "tiles" / "s0", args.tiles, args.size)
    model = args.model or untrained(work / "model.pt", args.encoder, args.depth)
    segmenter = load_segmenter(model)
    paths = sorted(shard.glob("*.tif"))

    def whole_path(name: str) -> float:
        started = time.perf_counter()
        predict_shard(
            tiles_dir=str(shard),
            status=str(status),
            model=str(model),
            out_dir=str(work / name),
            parquet=str(work / f"{name}.parquet"),
            channels=None,
            window_px=args.window,
            overlap_px=args.overlap,
            min_area_m2=1000.0,
            zoom=16,
            epoch="bench",
            provenance={},
        )
        return time.perf_counter() - started

    whole_path("warmup")
    minescan_s = whole_path("out")
    forward_s = forward_only(segmenter, paths, args.window, args.overlap)
    core_hours = {"minescan": minescan_s * args.threads, "forward": forward_s * args.threads}
    print(
        f"{len(paths)} real tiles of {args.size} px ({km2:.1f} km² at 10 m), windows of "
        f"{args.window} px overlapping {args.overlap}, {segmenter.arch}/{segmenter.encoder}, "
        f"{args.threads} thread(s)"
    )
    for name, seconds in (("whole path (predict_shard)", minescan_s), ("forward only", forward_s)):
        hours = seconds * args.threads / 3600
        print(f"  {name:28s} {seconds:7.2f} s  {km2 / hours:9.0f} km² per core-hour")
    print(f"  whole path / forward = {core_hours['minescan'] / core_hours['forward']:.2f}")
    if torch.cuda.is_available():
        # predict_shard ran on the GPU: its rate is per GPU-hour (the forward line is the CPU's).
        print(f"  whole path on the GPU: {km2 / (minescan_s / 3600):.0f} km² per GPU-hour")
    seconds = epoch_seconds(args.encoder, args.depth, args.train_tiles)
    if seconds is not None:
        print(
            f"training: {seconds:.1f} s per epoch of {args.train_tiles} real tailings tiles x 2 "
            f"chips of 224 px ({seconds / args.train_tiles:.2f} s per tile)"
        )


if __name__ == "__main__":
    main()
