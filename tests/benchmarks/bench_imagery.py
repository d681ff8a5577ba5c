"""Throughput of the imagery and pixel stages on this machine (not a test; prints figures).

    python tests/benchmarks/bench_imagery.py [--cells 8] [--threads 2] [--repeat 3]

Tiles: cells per second for the synthetic backend (5120 m cells over the real MAUS sample) and
the local backend (5120 m cells cut from the real Virginia Sentinel-2 scene, 11 bands, 20 m and
60 m bands resampled), and both on one thread in km2 per core-hour side by side, run by turns
and the best of ``--repeat`` rounds each, so that the load of a shared machine falls on both
(pin it to one core: ``nice taskset -c 1 python tests/benchmarks/bench_imagery.py --cells 6``).
The local backend's tiles step is printed as a share of GDAL's pace at reading the same bands,
with where its time goes: the reads alone, the COG writes alone, and the step per cell beyond
the shard's fixed cost (the step on all cells less the step on one cell), which is the pace of
a production shard of a hundred cells or more.
Pixel tables: rows per second for the whole pixels step (read tiles, exact signed distance,
write Parquet), and for writing the same rows as Parquet and as CSV.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import rasterio
from rasterio.windows import from_bounds

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


SYNTHETIC = "tiles, synthetic backend, 1 thread"
GDAL = "GDAL reads the same 11 bands"
LOCAL = "tiles, local backend, 1 thread"
FETCH = "local backend reads alone (no tile written)"
STORE = "tiles, again from the tile store"
WRITE = "local backend's COG writes alone"
LOCAL_ONE = "tiles, local backend, 1 thread, 1 cell"


def kalimantan_cells(n: int) -> list[dict]:
    base = kalimantan_rows(size_m=5120)[0]
    rows = []
    for i in range(n):
        dx, dy = (i % 4) * 5120, (i // 4) * 5120
        rows.append(cell_row(32750, base["xmin"] + dx, base["ymax"] - dy, 5120, shard="b"))
    return rows


def virginia_cells(n: int) -> list[dict]:
    """Up to six 5120 m cells of minescan's grid (edges on multiples of 5120 m, as the grid
    stage makes them) inside the real Virginia scene."""
    corners = [(440320 + 5120 * (i % 2), 4177920 - 5120 * (i // 2)) for i in range(min(n, 6))]
    return [cell_row(32618, x, y, 5120, label="negative", shard="b") for x, y in corners]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of the one-core tiles steps; the best counts"
    )
    parser.add_argument(
        "--compress",
        default="zstd",
        choices=["zstd", "deflate", "lzw", "none"],
        help="imagery.cog.compress of the local backend's tiles",
    )
    args = parser.parse_args()
    imagery = {"backend": "synthetic", "bands": list(DEFAULT_BANDS)}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        cells = write_cells(tmp, kalimantan_cells(args.cells))
        polygons = write_polygons(tmp)
        shard = {"cells": cells, "polygons": polygons, "shard": "b", "imagery": imagery}
        print(
            f"{args.cells} cells of 512 x 512 px, {len(DEFAULT_BANDS)} bands, "
            f"{args.threads} threads"
        )
        timed(
            "tiles, synthetic backend",
            lambda: make_shard_tiles(
                **shard, threads=args.threads, tiles_dir=tmp / "t", status=tmp / "s.csv"
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
        one_core(tmp, shard, args.cells, args.repeat, args.compress)


def per_core_hour(km2: float, seconds: float) -> str:
    return f"{km2 / seconds * 3600:12,.0f} km2 per core-hour"


def one_core(
    tmp: Path, synthetic: dict, n_synthetic: int, repeat: int, compress: str = "zstd"
) -> None:
    """The tiles step on one thread: synthetic, and from the real Virginia scene next to GDAL
    reading the same bands and to a rerun from the tile store. The steps run by turns, best of
    ``repeat`` rounds each, so that a shared machine's load falls on all of them alike."""
    steps = {
        SYNTHETIC: (
            n_synthetic,
            lambda run: make_shard_tiles(
                **synthetic,
                threads=1,
                tiles_dir=tmp / f"t1_{run}",
                status=tmp / f"s1_{run}.csv",
                store_dir=tmp / f"store1_{run}",
            ),
        )
    }
    n = min(n_synthetic, 6)
    if VIRGINIA.is_dir():
        steps.update(virginia_steps(tmp, n, compress))
    best = dict.fromkeys(steps, math.inf)
    cpu = dict.fromkeys(steps, math.inf)  # CPU seconds: steadier than wall time when shared
    for run in range(repeat):
        for label, (_, work) in steps.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            work(run)
            best[label] = min(best[label], time.perf_counter() - start)
            cpu[label] = min(cpu[label], time.process_time() - start_cpu)
    rates = {}
    for label, (count, _) in steps.items():
        seconds = best[label]
        km2 = count * 5.12**2
        rates[label] = km2 / seconds
        rounds = f"{label} (best of {repeat})"
        print(
            f"{rounds:<48} {count:>10,} cells  {seconds:7.2f} s  {count / seconds:12,.1f} cells/s"
        )
        pace = (
            f"  ({rates[label] / rates[GDAL]:.0%} of GDAL's pace; CPU "
            f"{cpu[label]:.2f} s, {cpu[GDAL] / cpu[label]:.0%} of GDAL's)"
            if label in (LOCAL, STORE, FETCH, WRITE)
            else ""
        )
        print(f"{'':<48} {per_core_hour(km2, seconds)}{pace}")
    if VIRGINIA.is_dir() and n > 1:
        # The step on n cells less the step on one: what each further cell of a shard costs.
        per_cell = (best[LOCAL] - best[LOCAL_ONE]) / (n - 1)
        per_cell_cpu = (cpu[LOCAL] - cpu[LOCAL_ONE]) / (n - 1)
        gdal_cell, gdal_cpu = best[GDAL] / n, cpu[GDAL] / n
        print(
            f"{'tiles, local backend, per cell beyond the first':<48} {per_cell * 1000:7.1f} ms "
            f"vs GDAL's {gdal_cell * 1000:.1f} ms ({gdal_cell / per_cell:.0%} of GDAL's pace; "
            f"CPU {gdal_cpu / per_cell_cpu:.0%}); the shard's fixed cost "
            f"{(best[LOCAL_ONE] - per_cell) * 1000:.0f} ms"
        )
    if VIRGINIA.is_dir():
        synthetic_rate, local_rate = rates[SYNTHETIC], rates[LOCAL]
        print(
            f"{'tiles on one core, synthetic vs local':<48} {synthetic_rate * 3600:,.0f} vs "
            f"{local_rate * 3600:,.0f} km2 per core-hour ({synthetic_rate / local_rate:.0%})"
        )


def virginia_steps(tmp: Path, n: int, compress: str = "zstd") -> dict:
    """GDAL reading the bands of ``n`` cells of the real scene, the tiles step from them, and
    its rerun from the tile store (each round's rerun reads the store its tiles step filled)."""
    rows = virginia_cells(n)
    local = {
        "backend": "local",
        "bands": list(DEFAULT_BANDS),
        "local": {"path": str(VIRGINIA), "patterns": ["s2_B*.tif"]},
        "cog": {"compress": compress},
    }
    cells = write_cells(tmp, rows, "v.parquet")
    polygons = rectangle_polygons(tmp, 32618, [(440000, 4165000, 441000, 4166000)])
    files = {
        b: VIRGINIA / f"s2_B{int(b[1:]):02d}.tif" if b[1:].isdigit() else None
        for b in DEFAULT_BANDS
    }
    files["B8A"] = VIRGINIA / "s2_B8A.tif"

    def raw_read(run: int) -> None:
        for row in rows:
            for path in files.values():
                with rasterio.open(path) as src:
                    window = from_bounds(
                        row["xmin"], row["ymin"], row["xmax"], row["ymax"], src.transform
                    )
                    src.read(1, window=window.round_offsets().round_lengths())

    def tiles(out: str):
        return lambda run: make_shard_tiles(
            cells=cells,
            polygons=polygons,
            shard="b",
            threads=1,
            tiles_dir=tmp / f"{out}_{run}",
            status=tmp / f"{out}_{run}.csv",
            imagery=local,
            store_dir=tmp / f"store{run}",
        )

    def fetch_only(run: int) -> None:
        # Where the tiles step's time goes: the backend's reads and resampling alone, without
        # the mine band, the COG written and the status rows.
        from minescan.cells import cell_from_row
        from minescan.imagery.backends.local import LocalBackend

        backend = LocalBackend.from_config(local)
        for row in rows:
            backend.fetch(cell_from_row(row), None)

    def write_only(run: int) -> None:
        # The COG writes alone, of images fetched once before the rounds.
        for i, (cell, image) in enumerate(fetched):
            write_tile(tmp / f"w_{run}" / f"{i}.tif", cell, image, mine, record, compress)

    from minescan.cells import cell_from_row
    from minescan.imagery.backends.local import LocalBackend
    from minescan.imagery.tile import write_tile
    from minescan.provenance import provenance

    backend = LocalBackend.from_config(local)
    fetched = [(cell_from_row(r), backend.fetch(cell_from_row(r), None)) for r in rows]
    mine = np.zeros(fetched[0][0].shape, dtype=np.uint8)
    record = provenance({"imagery": local, "pixel_size_m": 10.0})
    one = write_cells(tmp, rows[:1], "v1.parquet")

    def tiles_one_cell(run: int) -> None:
        make_shard_tiles(
            cells=one,
            polygons=polygons,
            shard="b",
            threads=1,
            tiles_dir=tmp / f"one_{run}",
            status=tmp / f"one_{run}.csv",
            imagery=local,
            store_dir=tmp / f"store_one{run}",
        )

    return {
        GDAL: (n, raw_read),
        FETCH: (n, fetch_only),
        WRITE: (n, write_only),
        LOCAL: (n, tiles("v1")),
        LOCAL_ONE: (1, tiles_one_cell),
        STORE: (n, tiles("v2")),
    }


if __name__ == "__main__":
    main()
