"""Benchmark: region mode for a country the size of Brazil, and the pyramid planner's wall time.

Prints, for every land cell of Brazil (``BRA``, Natural Earth outline) at zoom 12 (20,480 m)
and zoom 14 (5,120 m):
- minescan's ``region_cells`` (cells, names, metadata, shards), and ``region_land_cells``
  (the cells alone, what the planner uses);
- the previous minescan implementation (every cell of the zone's bounding box tested against
  the unprepared piece, nine points projected per cell), in full, on the same input;
- a naive per-cell baseline (a Python loop: one box, one ``intersects``, nine projected
  points per cell), timed on a random sample of the candidate cells and extrapolated, with a
  check that it keeps the same cells as minescan on the sample.
Then the planner (z12..z16) for the Amazon (convex hull of the Amazon Mining Watch polygons)
and for the world's land, with the polygons read and cleaned.

    taskset -c 0 python tests/benchmarks/bench_pyramid.py [--data ../shared/data/polygons]

Run it on one core (``taskset -c 0``) for the figures quoted in the docs.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import shapely

from minescan.grid import ancillary
from minescan.grid.build import GridSpec
from minescan.grid.regions import (
    region_cells,
    region_geometry,
    region_land_cells,
    sampled_land_fraction,
    zone_pieces,
)
from minescan.pyramid.planner import (
    expected_scans,
    load_polygons,
    meets_goal,
    polygons_hull,
    survey,
)
from minescan.utm import to_lonlat, to_utm

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "polygons"
ZOOMS = (12, 13, 14, 15, 16)
SIZES = {12: 20480, 13: 10240, 14: 5120, 15: 2560, 16: 1280}
PIXELS = {12: 160, 13: 80, 14: 40, 15: 20, 16: 10}
SPEC = GridSpec(zooms=ZOOMS, cell_size_m=SIZES)
BASELINE_SAMPLE = 3000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, function, *args):
    start = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:7.2f} s   peak RSS so far {peak_rss_mib():6.0f} MiB")
    return result, seconds


def previous_region_land_cells(region: shapely.Geometry, size: float) -> int:
    """minescan's region mode before the pyramid work, cells only: every cell of each zone
    piece's bounding box tested against the unprepared piece, nine points projected per cell."""
    count = 0
    for piece in zone_pieces(region):
        projected = to_utm(np.array([shapely.segmentize(piece.lonlat, 0.05)]), piece.epsg)[0]
        x0, y0, x1, y1 = projected.bounds
        ii, jj = np.meshgrid(
            np.arange(np.floor(x0 / size), np.floor(x1 / size) + 1, dtype=np.int64),
            np.arange(np.floor(y0 / size), np.floor(y1 / size) + 1, dtype=np.int64),
        )
        i, j = ii.ravel(), jj.ravel()
        meets = shapely.intersects(
            projected, shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size)
        )
        fraction = sampled_land_fraction(piece.epsg, i[meets], j[meets], size)
        count += int((fraction >= 0.5).sum())
    return count


def naive_per_cell(region: shapely.Geometry, size: float, seed: int = 0):
    """Per cell in Python: a box, an ``intersects`` with the piece, nine projected points.

    Timed on a random sample of the bounding boxes' cells; returns the extrapolated seconds,
    the sampled cells' ``(epsg, i, j)`` kept and those of the sample."""
    rng = np.random.default_rng(seed)
    candidates = []
    for piece in zone_pieces(region):
        projected = to_utm(np.array([shapely.segmentize(piece.lonlat, 0.05)]), piece.epsg)[0]
        x0, y0, x1, y1 = projected.bounds
        i_range = np.arange(np.floor(x0 / size), np.floor(x1 / size) + 1, dtype=np.int64)
        j_range = np.arange(np.floor(y0 / size), np.floor(y1 / size) + 1, dtype=np.int64)
        candidates.append((piece.epsg, projected, i_range, j_range))
    total = sum(len(c[2]) * len(c[3]) for c in candidates)
    weights = np.array([len(c[2]) * len(c[3]) for c in candidates], float) / total
    picks = rng.choice(len(candidates), BASELINE_SAMPLE, p=weights)
    offsets = (0.5 + np.array([-1 / 3, 0.0, 1 / 3])) * size
    sample, kept = [], []
    start = time.perf_counter()
    for pick in picks:
        epsg, projected, i_range, j_range = candidates[pick]
        i, j = int(rng.choice(i_range)), int(rng.choice(j_range))
        sample.append((epsg, i, j))
        cell = shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size)
        if not projected.intersects(cell):
            continue
        xs = [i * size + dx for dx in offsets for _ in offsets]
        ys = [j * size + dy for _ in offsets for dy in offsets]
        lon, lat = to_lonlat(np.array(xs), np.array(ys), epsg)
        if ancillary.is_land(lon, lat).mean() >= 0.5:
            kept.append((epsg, i, j))
    seconds = (time.perf_counter() - start) / BASELINE_SAMPLE * total
    return seconds, total, sample, kept


def bench_country(code: str) -> None:
    outline = region_geometry(code)
    for zoom in (12, 14):
        size = SIZES[zoom]
        print(f"\n{code} at zoom {zoom} ({size} m cells)")
        table, t_cells = measure(
            "minescan region_cells (cells, names, metadata, shards)",
            region_cells,
            outline,
            zoom,
            SPEC,
        )
        cells, t_land = measure(
            "minescan region_land_cells (cells only)", region_land_cells, outline, size
        )
        previous, t_previous = measure(
            "previous minescan, cells only", previous_region_land_cells, outline, size
        )
        (naive_s, total, sample, kept), _ = measure(
            f"naive per-cell loop on {BASELINE_SAMPLE} sampled cells", naive_per_cell, outline, size
        )
        ours = set(zip(cells["epsg"], cells["i"], cells["j"], strict=True))
        agree = sum(((e, i, j) in ours) == ((e, i, j) in set(kept)) for e, i, j in sample)
        print(
            f"  land cells: {len(table):,} (region_cells), {len(cells):,} (cells only), "
            f"{previous:,} (previous); {table['shard'].nunique():,} shards"
        )
        print(
            f"  naive loop: {total:,} candidate cells, extrapolated {naive_s:,.1f} s; "
            f"agrees with minescan on {agree}/{len(sample)} sampled cells"
        )
        print(
            f"  speed-up, cells only: previous / minescan = {t_previous / t_land:.1f}x, "
            f"naive / minescan = {naive_s / t_land:.0f}x"
        )


def bench_planner(label: str, region, polygon_files: list[Path]) -> None:
    print(f"\nplanner, {label}, z12..z16")
    polygons, t_read = measure("read and clean the polygons", load_polygons, polygon_files)
    if region == "hull":
        region = polygons_hull(polygons)
    surveyed, t_survey = measure(
        "survey (land, reachable and mine cells per level)",
        survey,
        region,
        polygons,
        ZOOMS,
        SIZES,
        256,
        327680,
    )
    table, t_model = measure(
        "expected scans, one screen quality", expected_scans, surveyed, PIXELS, 11, 0.99, 0.02
    )
    goal = meets_goal(table)
    print(
        f"  {len(polygons):,} polygons; exhaustive z16 cells {surveyed.land[-1]:,.0f}; "
        f"pyramid at recall 0.99, fpr 0.02: {goal['pixel_fraction']:.2%} of the pixels, "
        f"{goal['area_recall_reaching_finest']:.2%} of the area reaching z16"
    )
    print(
        f"  planner wall time: {t_read + t_survey + t_model:.1f} s "
        f"(polygons {t_read:.1f} s, survey {t_survey:.1f} s, model {t_model:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--country", default="BRA")
    args = parser.parse_args()
    # Warm the land mask and the country outlines once: a real run pays this once per machine.
    pieces = zone_pieces(shapely.box(0, 0, 1, 1))
    region_land_cells(shapely.box(0, 0, 1, 1), 20480)
    region_geometry(args.country)
    ancillary.country_iso3(np.zeros(1), np.zeros(1))
    print(f"land mask and country outlines loaded ({len(pieces)} piece)")
    bench_country(args.country)
    amw = sorted((args.data / "amazon_mining_watch").glob("mining_*_simplified.geojson"))
    if not amw:
        print(f"\nno Amazon Mining Watch polygons in {args.data}; planner not timed")
        return
    bench_planner("Amazon (hull of the AMW polygons)", "hull", amw)
    bench_planner(
        "world's land, AMW + MAUS Indonesia polygons",
        "world",
        [*amw, args.data / "maus_v1_idn.gpkg"],
    )
    print(f"\npeak resident memory of the process: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
