"""Peak memory and time of the STAC backend's composite for one production-size cell (not a
test; prints figures).

    nice python tests/benchmarks/bench_stac_composite.py [--dates 40] [--old]

One 512 px cell (5120 m at 10 m) of the 11 default bands and ``--dates`` items with the real
Earth Search metadata, over COGs cut from the real Virginia scene (local paths, so that the
figures are GDAL's decoding and the compositing, not the loopback server's HTTP), each item
with a moving band of cloud in its SCL. Each measure runs in its own process, after a small
cell has warmed the imports and GDAL, and reports the peak of numpy's allocations
(tracemalloc) and the process's peak resident memory:

* raw read: odc-stac reading the same 11 bands and SCL of every item, as uint16, nothing else;
* composite: ``StacBackend.fetch`` (band by band, row blocks, uint16, in-place masked median);
* ``--old``: the composite as it was (float32 copies, a stack, ``np.nanmedian``), which the
  issue measured at about 3.3 GB and 25 s of CPU; off by default on shared machines.

The declared figure is what ``minescan.imagery.composite`` makes the job ask for per cell.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures

import numpy as np  # noqa: E402
from fixtures.imagery import cell_row  # noqa: E402
from fixtures.stac_items import SIZE, X0, Y0, make_item  # noqa: E402
from fixtures.stac_server import StacServer  # noqa: E402

from minescan.cells import cell_from_row  # noqa: E402
from minescan.imagery.backends.stac import StacBackend  # noqa: E402
from minescan.imagery.bands import DEFAULT_BANDS  # noqa: E402
from minescan.imagery.composite import cell_peak_mb  # noqa: E402

OLD_FIGURE_GB = 3.3  # issue 19: one 512 px, 11-band, 40-date cell with the float32 stack


def serve(root: Path, dates: int) -> tuple[StacServer, list[dict]]:
    n = int(SIZE // 20)
    server = StacServer(root)
    files, items = None, []
    for day in range(dates):
        scl = np.full((n, n), 4, dtype=np.uint8)
        scl[(day * 7) % n : (day * 7) % n + 40, :] = 9
        date = f"2022-{1 + day // 28:02d}-{1 + day % 28:02d}"
        reuse = files and {k: v for k, v in files.items() if k != "SCL"}
        item, files = make_item(
            server, "earth-search", date, "04.00", scl, DEFAULT_BANDS,
            dn_offset=0, cloud_dn=None, local=True, files=reuse,
        )  # fmt: skip
        items.append(item)
    server.items = items
    return server, items


def old_composite(backend: StacBackend, cell, items) -> None:
    """The compositing before issue 19 (stac.py of a36ffd8), for the comparison."""
    import odc.stac
    from odc.geo.geobox import GeoBox

    geobox = GeoBox(cell.shape, cell.transform, f"EPSG:{cell.epsg}")
    scl = odc.stac.load(items, bands=["scl"], geobox=geobox, groupby="solar_day")["scl"].values
    clear = ~np.isin(scl, backend.masked_scl)
    loaded = odc.stac.load(
        items, bands=[backend.assets[b] for b in backend.bands], geobox=geobox, groupby="solar_day"
    )
    layers = []
    for band in backend.bands:
        raw = loaded[backend.assets[band]].values.astype(np.float32)
        raw[(raw == 0) | ~clear] = np.nan
        layers.append(raw)
    series = np.concatenate([np.stack(layers, axis=1)], axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.nanmedian(series, axis=0)


def child(mode: str, dates: int) -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as name, serve(Path(name), dates)[0] as server:
        imagery = {
            "backend": "stac",
            "bands": list(DEFAULT_BANDS),
            "dates": ["2021-01-01", "2023-01-01"],
            "stac": {"provider": "earth-search", "url": server.url, "max_items": dates},
        }
        backend = StacBackend.from_config(imagery)
        cell = cell_from_row(cell_row(32618, X0, Y0, int(SIZE)))
        backend.fetch(cell_from_row(cell_row(32618, X0, Y0, 320)), None)  # warm-up
        items = backend.search(cell)
        import odc.stac
        from odc.geo.geobox import GeoBox

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "raw":
            geobox = GeoBox(cell.shape, cell.transform, f"EPSG:{cell.epsg}")
            assets = [backend.assets[b] for b in (*backend.bands, "SCL")]
            odc.stac.load(items, bands=assets, geobox=geobox, groupby="solar_day")
        elif mode == "composite":
            backend.fetch(cell, None)
        else:
            old_composite(backend, cell, items)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "rss_mb": rss,
                          "rss_before_mb": rss_before}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dates", type=int, default=40)
    parser.add_argument("--old", action="store_true", help="also run the old float32 composite")
    parser.add_argument("--child", choices=["raw", "composite", "old"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dates)
        return
    modes = ["raw", "composite"] + (["old"] if args.old else [])
    print(f"one cell: 512 x 512 px, {len(DEFAULT_BANDS)} bands, {args.dates} dates")
    print(f"{'':<34} {'wall s':>7} {'CPU s':>7} {'numpy peak MB':>14} {'process peak MB':>16}")
    for mode in modes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--dates", str(args.dates)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        label = {"raw": "raw read (odc-stac, uint16)", "composite": "composite (this version)",
                 "old": "composite (before issue 19)"}[mode]  # fmt: skip
        print(
            f"{label:<34} {figures['seconds']:7.2f} {figures['cpu']:7.2f} "
            f"{figures['peak_mb']:14,.0f} {figures['rss_mb']:16,.0f}"
        )
    declared = cell_peak_mb(512, 512, len(DEFAULT_BANDS), args.dates, 128)
    print(f"{'declared per cell (composite.py)':<34} {'':>7} {'':>7} {declared:14,.0f}")
    if not args.old:
        label = "composite before issue 19 (issue)"
        print(f"{label:<34} {'':>7} {'~25':>7} {OLD_FIGURE_GB * 1000:14,.0f}")


if __name__ == "__main__":
    main()
