"""Throughput of the imagery and pixel stages on this machine (not a test; prints figures).

    python tests/benchmarks/bench_imagery.py [--cells 8] [--threads 2]

Tiles: cells per second for the synthetic backend (5120 m cells over the real MAUS sample) and
the local backend (5120 m cells cut from the real Virginia Sentinel-2 scene, 11 bands, 20 m and
60 m bands resampled). Pixel tables: rows per second for the whole pixels step (read tiles,
exact signed distance, write Parquet), and for writing the same rows as Parquet and as CSV.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures

from fixtures.imagery import (  # noqa: E402
    VIRGINIA,
    cell_row,
    kalimantan_rows,
    rectangle_polygons,
    write_cells,
    write_polygons,
)

from minescan.imagery.bands import DEFAULT_BANDS  # noqa: E402
from minescan.imagery.tiles import make_shard_tiles  # noqa: E402
from minescan.pixels.table import make_shard_pixels  # noqa: E402


def timed(label: str, work, count: int, unit: str) -> float:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {count:>10,} {unit:<6} {seconds:7.2f} s  {count / seconds:12,.1f} {unit}/s")
    return seconds


def kalimantan_cells(n: int) -> list[dict]:
    base = kalimantan_rows(size_m=5120)[0]
    rows = []
    for i in range(n):
        dx, dy = (i % 4) * 5120, (i // 4) * 5120
        rows.append(cell_row(32750, base["xmin"] + dx, base["ymax"] - dy, 5120, shard="b"))
    return rows


def virginia_cells(n: int) -> list[dict]:
    corners = [(435740 + 5120 * (i % 3), 4179450 - 5120 * ((i // 3) % 3)) for i in range(n)]
    return [cell_row(32618, x, y, 5120, label="negative", shard="b") for x, y in corners]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    imagery = {"backend": "synthetic", "bands": list(DEFAULT_BANDS)}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        cells = write_cells(tmp, kalimantan_cells(args.cells))
        polygons = write_polygons(tmp)
        shard = {"cells": cells, "polygons": polygons, "shard": "b", "threads": args.threads}
        print(
            f"{args.cells} cells of 512 x 512 px, {len(DEFAULT_BANDS)} bands, "
            f"{args.threads} threads"
        )
        timed(
            "tiles, synthetic backend",
            lambda: make_shard_tiles(
                **shard, tiles_dir=tmp / "t", status=tmp / "s.csv", imagery=imagery
            ),
            args.cells,
            "cells",
        )
        pixels = {
            "status": tmp / "s.csv",
            "tiles_dir": tmp / "t",
            "cells": cells,
            "polygons": polygons,
            "shard": "b",
            "bands": list(DEFAULT_BANDS),
        }
        rows = args.cells * 512 * 512
        for method in ("exact", "raster"):
            timed(
                f"pixel table step, {method} distance (Parquet)",
                lambda m=method: make_shard_pixels(
                    **pixels, out=tmp / "p.parquet", distance_method=m
                ),
                rows,
                "rows",
            )
        table = pq.read_table(tmp / "p.parquet")
        timed(
            "write rows: Parquet (zstd)",
            lambda: pq.write_table(table, tmp / "w.parquet", compression="zstd"),
            rows,
            "rows",
        )
        timed("write rows: CSV", lambda: pacsv.write_csv(table, tmp / "w.csv"), rows, "rows")
        timed("read rows: Parquet", lambda: pq.read_table(tmp / "w.parquet"), rows, "rows")
        timed("read rows: CSV", lambda: pacsv.read_csv(tmp / "w.csv"), rows, "rows")
        size_pq = (tmp / "w.parquet").stat().st_size / 1e6
        size_csv = (tmp / "w.csv").stat().st_size / 1e6
        print(f"{'size: Parquet vs CSV':<48} {size_pq:,.1f} MB vs {size_csv:,.1f} MB")

        if VIRGINIA.is_dir():
            n = min(args.cells, 9)
            local = {
                **imagery,
                "backend": "local",
                "local": {"path": str(VIRGINIA), "patterns": ["s2_B*.tif"]},
            }
            timed(
                "tiles, local backend (real Virginia scene)",
                lambda: make_shard_tiles(
                    cells=write_cells(tmp, virginia_cells(n), "v.parquet"),
                    polygons=rectangle_polygons(tmp, 32618, [(440000, 4165000, 441000, 4166000)]),
                    shard="b",
                    threads=args.threads,
                    tiles_dir=tmp / "v",
                    status=tmp / "v.csv",
                    imagery=local,
                ),
                n,
                "cells",
            )


if __name__ == "__main__":
    main()
