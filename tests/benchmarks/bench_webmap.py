"""Benchmarks of the web map.

How many cells it draws smoothly: one layer of N square cells, inline (script) and FlatGeobuf,
served over HTTP and opened in headless Chromium: build time, load time, median redraw after a
pan with the whole layer in view, and at zoom 12.

    python tests/benchmarks/bench_webmap.py 10000 50000 200000

How many bytes footprint layers take, as drawn and as simplified by one pixel: the real,
hand-drawn MAUS v1 polygons of East Kalimantan (../shared/data) rasterised per 2.56 km cell at
10 m (and per 10.24 km cell at 80 m, a z13 pyramid level) and vectorised pixel by pixel, as
the footprints stage outlines its masks; the layer's script bytes for each tolerance.

    python tests/benchmarks/bench_webmap.py footprints
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
import shapely
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


MAUS_IDN = Path(__file__).resolve().parents[2].parent / "shared/data/polygons/maus_v1_idn.gpkg"


def pixel_footprints(box_lonlat, side_m: float, pixel_m: float, epsg: int) -> gpd.GeoDataFrame:
    """MAUS polygons in ``box_lonlat`` as the footprints stage would outline them: per cell of
    ``side_m``, rasterised at ``pixel_m`` and vectorised pixel by pixel."""
    from rasterio.features import rasterize, shapes
    from rasterio.transform import from_origin
    from shapely.geometry import shape

    polygons = gpd.read_file(MAUS_IDN, bbox=box_lonlat).to_crs(epsg)
    west, south, east, north = polygons.total_bounds
    n = int(side_m / pixel_m)
    outlines = []
    for x in np.arange(np.floor(west / side_m), np.ceil(east / side_m)) * side_m:
        for y in np.arange(np.floor(south / side_m), np.ceil(north / side_m)) * side_m:
            inside = polygons.clip(box(x, y, x + side_m, y + side_m))
            if inside.empty:
                continue
            transform = from_origin(x, y + side_m, pixel_m, pixel_m)
            mask = rasterize(inside.geometry, out_shape=(n, n), transform=transform, dtype="uint8")
            outlines += [shape(g) for g, v in shapes(mask, mask=mask == 1, transform=transform)]
    frame = gpd.GeoDataFrame(geometry=outlines, crs=epsg)
    frame["footprint_id"] = [f"f{k}" for k in range(len(frame))]
    frame["area_m2"] = frame.area.round(1)
    return frame


def footprint_sizes() -> None:
    from minescan.webmap.layers import geojson_text, read_layer

    root = Path(tempfile.mkdtemp(prefix="bench_webmap_fp_"))
    east_kalimantan = (116.5, -1.5, 118.0, 0.5)
    for side_m, pixel_m in ((2560.0, 10.0), (10240.0, 80.0)):
        frame = pixel_footprints(east_kalimantan, side_m, pixel_m, epsg=32750)
        path = root / f"fp_{int(pixel_m)}.parquet"
        frame.to_parquet(path)
        for tolerance in sorted({0.0, 10.0, pixel_m}):
            spec = LayerSpec("fp", "Footprints", str(path), ("footprint_id", "area_m2"))
            spec = LayerSpec(**{**spec.__dict__, "simplify_m": tolerance})
            layer = read_layer(spec)
            row = {
                "pixel_m": pixel_m,
                "footprints": len(layer),
                "simplify_m": tolerance,
                "vertices": int(shapely.get_num_coordinates(layer.geometry.values).sum()),
                "mb": round(len(geojson_text(layer)) / 1e6, 3),
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["footprints"]:
        footprint_sizes()
    else:
        main([int(arg) for arg in sys.argv[1:]] or [10000, 50000, 200000])
