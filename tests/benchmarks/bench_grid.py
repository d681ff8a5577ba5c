"""Benchmark: the grid stage on the 45,011 Amazon Mining Watch polygons, three zoom levels.

Prints wall time and peak memory of minescan's grid (cleaning; positives, negatives, names,
metadata and shards of three zoom levels) next to a straightforward geopandas baseline
(candidate cells per polygon bounding box, ``sjoin``, ``overlay``, ``dissolve``) that computes
only the positive cells and their overlap fractions, on the same input in the same run.

    python tests/benchmarks/bench_grid.py [--data ../shared/data/polygons/amazon_mining_watch]

Run it on one core (``taskset -c 0``) for the figures quoted in the docs.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from minescan.grid import ancillary
from minescan.grid.build import GridSpec, build_grid, level_cells, zone_coverages
from minescan.grid.negatives import NegativeSearch
from minescan.polygons.clean import clean_polygons

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "polygons" / "amazon_mining_watch"
SPEC = GridSpec(zooms=(14, 15, 16), cell_size_m={14: 5120, 15: 2560, 16: 1280})
SEARCH = NegativeSearch(max_distance_m=50_000, min_land_fraction=0.5)


def read_amw(folder: Path) -> gpd.GeoDataFrame:
    files = sorted(folder.glob("mining_*_simplified.geojson"))
    if not files:
        raise SystemExit(f"no mining_*_simplified.geojson in {folder}")
    frames = [pyogrio.read_dataframe(f, columns=[]) for f in files]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


def baseline_positives(polygons: gpd.GeoDataFrame) -> dict[int, int]:
    """Textbook geopandas: candidate boxes, sjoin to keep touching ones, overlay for areas."""
    counts = {}
    for zoom, size in SPEC.cell_size_m.items():
        n_positive = 0
        for epsg, group in polygons.groupby("utm_epsg"):
            projected = group.to_crs(int(epsg))[["geometry"]]
            b = projected.bounds.to_numpy()
            i0, j0 = np.floor(b[:, 0] / size), np.floor(b[:, 1] / size)
            nx = (np.floor(b[:, 2] / size) - i0 + 1).astype(int)
            ny = (np.floor(b[:, 3] / size) - j0 + 1).astype(int)
            owner = np.repeat(np.arange(len(b)), nx * ny)
            step = np.arange(owner.size) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
            ci = i0[owner] + step % nx[owner]
            cj = j0[owner] + step // nx[owner]
            keys = np.unique(np.column_stack([ci, cj]), axis=0)
            cells = gpd.GeoDataFrame(
                {"i": keys[:, 0], "j": keys[:, 1]},
                geometry=shapely.box(
                    keys[:, 0] * size,
                    keys[:, 1] * size,
                    (keys[:, 0] + 1) * size,
                    (keys[:, 1] + 1) * size,
                ),
                crs=projected.crs,
            )
            touching = gpd.sjoin(cells, projected, predicate="intersects", how="inner")
            touching = cells.loc[touching.index.unique()]
            pieces = gpd.overlay(touching, projected, how="intersection", keep_geom_type=True)
            area = pieces.assign(a=pieces.area).groupby(["i", "j"])["a"].sum()
            n_positive += int((area / size**2 >= SPEC.min_overlap_fraction).sum())
        counts[zoom] = n_positive
    return counts


def minescan_positives(polygons: gpd.GeoDataFrame) -> dict[int, int]:
    """The same work as the baseline with minescan's kernel: positives of every level."""
    finest = max(SPEC.zooms)
    zones = zone_coverages(
        polygons, SPEC.cell_size_m[finest], 2 * SPEC.cell_size_m[min(SPEC.zooms)]
    )
    counts = {}
    for zoom in SPEC.zooms:
        cells, _ = level_cells(zones, finest - zoom, SPEC.min_overlap_fraction)
        counts[zoom] = len(cells)
    return counts


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, function, *args):
    """Wall time, and the process's peak resident memory once the step is done."""
    start = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<46} {seconds:7.2f} s   peak RSS so far {peak_rss_mib():6.0f} MiB")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    raw, _ = measure("read 9 GeoJSON files", read_amw, args.data)
    print(f"polygons: {len(raw)}")
    # Warm the metadata sources once: a real run pays this once per machine (cache).
    ancillary.climate_class(np.zeros(1), np.zeros(1))
    ancillary.country_iso3(np.zeros(1), np.zeros(1))

    print(f"{'metadata sources loaded':<46} {'':7}     peak RSS so far {peak_rss_mib():6.0f} MiB")
    (clean, report), t_clean = measure("minescan: clean polygons", clean_polygons, raw, "AMW")
    tables, t_grid = measure(
        "minescan: 3 zoom levels, negatives, metadata", build_grid, clean, SPEC, SEARCH
    )
    for zoom, table in tables.items():
        labels = table["label"].value_counts()
        print(
            f"  z{zoom} ({SPEC.cell_size_m[zoom]} m): {labels.get('positive', 0)} positives, "
            f"{labels.get('negative', 0)} negatives, {table['shard'].nunique()} shards"
        )
    _, t_positives = measure("minescan: positives of 3 levels only", minescan_positives, clean)
    counts, t_base = measure("baseline geopandas: positives of 3 levels", baseline_positives, clean)
    for zoom, count in counts.items():
        ours = int((tables[zoom]["label"] == "positive").sum())
        print(f"  z{zoom}: baseline {count} positives, minescan {ours}")
    print(f"like for like, positives only: baseline / minescan = {t_base / t_positives:.1f}x")
    print(f"minescan grid (clean + build): {t_clean + t_grid:.2f} s")
    print(f"speed-up over baseline (baseline / minescan grid): {t_base / (t_clean + t_grid):.1f}x")
    print(f"peak resident memory of the process: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
