"""Benchmark: how many cells the web map draws smoothly. One layer of N square cells, inline
(script) and FlatGeobuf, served over HTTP and opened in headless Chromium: build time, load
time, median redraw after a pan with the whole layer in view, and at zoom 12.

    python tests/benchmarks/bench_webmap.py 10000 50000 200000
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely import box

from minescan.webmap.browser import BASEMAP_PROBE, chromium, console_errors
from minescan.webmap.layers import LayerSpec
from minescan.webmap.page import build_map

PORT = 8765
READY = """const done = arguments[arguments.length - 1];
(function wait() {
  if (!window.minescanMap) return setTimeout(wait, 20);
  window.minescanMap.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(done)));
})();"""
PANS = """const done = arguments[arguments.length - 1];
const map = window.minescanMap.map; const times = []; let i = 0;
function step() {
  const start = performance.now();
  map.panBy([200 * (i % 2 ? 1 : -1), 0], {animate: false});
  requestAnimationFrame(() => { times.push(performance.now() - start);
    if (++i < 6) step(); else done(times); });
}
step();"""
ZOOM_IN = """const done = arguments[arguments.length - 1]; const map = window.minescanMap.map;
map.setView(map.getCenter(), 12, {animate: false});
setTimeout(() => done(window.minescanMap.drawn("cells")), 1500);"""


def cells(n: int) -> gpd.GeoDataFrame:
    side, d = int(np.ceil(np.sqrt(n))), 0.0115  # about 1.28 km
    k = np.arange(n)
    x0, y0 = 110 + (k % side) * d, -5 + (k // side) * d
    attributes = {
        "name": [f"c{i}" for i in k],
        "label": np.where(k % 2, "positive", "negative"),
        "overlap_fraction": (k % 100) / 100,
    }
    return gpd.GeoDataFrame(attributes, geometry=box(x0, y0, x0 + d, y0 + d), crs=4326)


def main(sizes: list[int]) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench_webmap_"))
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "-d", str(root), str(PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    try:
        with chromium() as driver:
            driver.set_script_timeout(300)
            for n in sizes:
                source = root / f"cells_{n}.parquet"
                cells(n).to_parquet(source)
                for fmt, limit in (("script", 10**12), ("fgb", 0)):
                    folder = root / f"{fmt}_{n}"
                    spec = LayerSpec(
                        key="cells",
                        title="Cells",
                        path=str(source),
                        popup=("name", "label", "overlap_fraction"),
                        style={"weight": 1, "fillOpacity": 0.15},
                        colour_by="label",
                        colours={"positive": "#d32f2f", "negative": "#1976d2"},
                    )
                    start = time.monotonic()
                    manifest = build_map(folder / "index.html", [spec], inline_max_bytes=limit)
                    build_s = time.monotonic() - start
                    start = time.monotonic()
                    driver.get(f"http://localhost:{PORT}/{folder.name}/index.html")
                    driver.execute_async_script(READY)
                    load_s = time.monotonic() - start
                    drawn = driver.execute_script("return window.minescanMap.drawn('cells')")
                    overview = driver.execute_async_script(PANS)
                    zoomed_drawn = driver.execute_async_script(ZOOM_IN)
                    zoomed = driver.execute_async_script(PANS)
                    errors = console_errors(driver, ignore=(BASEMAP_PROBE, "favicon"))
                    row = {
                        "n": n,
                        "format": fmt,
                        "mb": round(manifest["layers"][0]["bytes"] / 1e6, 2),
                        "build_s": round(build_s, 1),
                        "load_s": round(load_s, 2),
                        "drawn": drawn,
                        "pan_ms": round(float(np.median(overview)), 1),
                        "z12_drawn": zoomed_drawn,
                        "z12_pan_ms": round(float(np.median(zoomed)), 1),
                        "errors": len(errors),
                    }
                    print(json.dumps(row), flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10000, 50000, 200000])
