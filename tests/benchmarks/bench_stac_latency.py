"""Seconds and HTTP requests per cell of the STAC backend against a server with realistic
latency (not a test; prints figures).

    nice python tests/benchmarks/bench_stac_latency.py [--cells 4] [--dates 4] [--threads 4]

The loopback STAC server answers every request (searches, and the HTTP range reads GDAL makes
of the COGs) after 100-300 ms (seeded), and serves items with the real Earth Search metadata
over COGs cut from the real Virginia scene. Each mode runs in its own process (GDAL caches
what it read), on the same cells, items and latency:

* before: a search per cell, the assets of a cell read one after another (the old path);
* after: one search for the shard (``StacBackend.plan``), and ``read_threads`` reads at once.

Both must give the same pixels; the script checks it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures

import numpy as np  # noqa: E402
from fixtures.imagery import cell_row  # noqa: E402
from fixtures.stac_items import X0, Y0, make_item  # noqa: E402
from fixtures.stac_server import StacServer  # noqa: E402

BANDS = ("B2", "B3", "B4", "B11")
CELL_M = 1280


def run(mode: str, cells: int, dates: int, threads: int) -> dict:
    from minescan.cells import cell_from_row
    from minescan.imagery.backends.stac import StacBackend

    warnings.simplefilter("ignore")
    side = int(np.ceil(np.sqrt(cells)))
    size = float(side * CELL_M)
    with tempfile.TemporaryDirectory() as tmp, StacServer(Path(tmp)) as server:
        n = int(size // 20)
        items = []
        for d in range(dates):
            scl = np.full((n, n), 4, dtype=np.uint8)
            scl[:, (d * 7) % n : (d * 7) % n + n // 4] = 9  # a band of cloud on each date
            item, _ = make_item(
                server, "earth-search", f"2021-{d % 12 + 1:02d}-{d // 12 + 1:02d}", "02.14",
                scl, BANDS, dn_offset=0, size=size, platform="S2A" if d % 2 else "S2B",
            )  # fmt: skip
            items.append(item)
        server.items = items
        grid = [
            cell_from_row(cell_row(32618, X0 + c * CELL_M, Y0 - r * CELL_M, CELL_M))
            for r in range(side)
            for c in range(side)
        ][:cells]
        options = {"provider": "earth-search", "url": server.url, "max_concurrency": 1}
        if mode == "after":
            options["read_threads"] = threads
        backend = StacBackend.from_config(
            {"backend": "stac", "bands": list(BANDS), "dates": ["2021-01-01", "2023-01-01"],
             "stac": options}
        )  # fmt: skip
        backend.client()  # the landing page: once per job either way, not per cell
        server.latency = (0.1, 0.3)
        before = len(server.requests) + server.heads
        start = time.perf_counter()
        if mode == "after":
            backend.plan(grid)
        digest = hashlib.sha256()
        for cell in grid:
            digest.update(backend.fetch(cell, None).data.tobytes())
        seconds = time.perf_counter() - start
        requests = len(server.requests) + server.heads - before
        searches = sum(1 for r in server.requests[before:] if "/search" in r)
    return {
        "mode": mode,
        "s_per_cell": seconds / cells,
        "requests_per_cell": requests / cells,
        "searches": searches,
        "pixels": digest.hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=4)
    parser.add_argument("--dates", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--mode", choices=["before", "after"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run(args.mode, args.cells, args.dates, args.threads)))
        return
    results = []
    for mode in ("before", "after"):
        out = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--cells", str(args.cells),
             "--dates", str(args.dates), "--threads", str(args.threads)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"{args.cells} cells of {CELL_M // 10} px, {len(BANDS)} bands + SCL, {args.dates} dates, "
        "100-300 ms per request"
    )
    for r in results:
        print(
            f"{r['mode']:>6}: {r['s_per_cell']:6.1f} s per cell, "
            f"{r['requests_per_cell']:6.1f} requests per cell, {r['searches']} search(es)"
        )
    same = results[0]["pixels"] == results[1]["pixels"]
    print("same pixels" if same else "PIXELS DIFFER")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
