"""Benchmark: the size and planning time of the whole workflow's DAG at the scale of MAUS.

With the 45,011 Amazon Mining Watch polygons (about the count of MAUS v2) as ``polygons.path``
and three zoom levels, it runs the grid stage, then times ``snakemake -n`` of the whole
workflow and counts its jobs per rule. The baseline in the same run is the DAG one job per
cell would give (the cell count), which is what sharding avoids.

    python tests/benchmarks/bench_dag.py [--data ../shared/data/polygons/amazon_mining_watch]
    python tests/benchmarks/bench_dag.py --pyramid   # the pyramid over the Amazon basin

With ``--pyramid`` it plans the pyramid scan (z13 to z16, no exhaustive comparison) over the
Amazon basin, outlined by the convex hull of the same polygons: the first level's checkpoint
runs, then ``snakemake -n pyramid`` plans the first level's jobs (the later levels are decided
by the screens at run time).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "polygons" / "amazon_mining_watch"
COPIED = ["Snakefile", "workflow", "config", "resources", "envs"]


def merged_polygons(folder: Path, out: Path) -> int:
    files = sorted(folder.glob("mining_*_simplified.geojson"))
    frames = [gpd.read_file(f)[["geometry"]] for f in files]
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    merged.to_parquet(out)
    return len(merged)


def snakemake(workdir: Path, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if run.returncode:
        sys.exit(run.stderr[-3000:])
    return elapsed, run.stdout + run.stderr


def job_counts(output: str) -> dict[str, int]:
    table = output.split("Job stats:")[1].split("\ntotal")[0]
    rows = [line.split() for line in table.splitlines()[3:] if line.strip()]
    return {name: int(count) for name, count in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--max-cells-per-shard", type=int, default=256)
    parser.add_argument("--pyramid", action="store_true", help="plan the Amazon pyramid scan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp) / "minescan"
        workdir.mkdir()
        for name in COPIED:
            source = REPO / name
            copy = shutil.copytree if source.is_dir() else shutil.copy2
            copy(source, workdir / name)
        n_polygons = merged_polygons(args.data, workdir / "resources" / "amw.parquet")
        config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
        config["polygons"]["path"] = "resources/amw.parquet"
        config["grid"]["max_cells_per_shard"] = args.max_cells_per_shard
        config["pyramid"]["enabled"] = args.pyramid
        if args.pyramid:
            hull = gpd.read_parquet(workdir / "resources" / "amw.parquet").union_all().convex_hull
            gpd.GeoSeries([hull], crs=4326).to_file(workdir / "resources" / "amazon.geojson")
            config["pyramid"].update(
                region="resources/amazon.geojson", exhaustive=False, max_jobs=100_000
            )
        config["chips"]["path"] = "absent"  # the real-chip evaluation does not scale with cells
        (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))

        if args.pyramid:
            levels = config["pyramid"]["levels"]
            first = levels[0]
            checkpoints = [f"results/pyramid/z{first}/cells.parquet"] + [
                f"results/grid/z{zoom}/cells.parquet" for zoom in levels
            ]
            grid_s, _ = snakemake(workdir, *checkpoints)
            region = pd.read_parquet(workdir / f"results/grid/region/z{first}/cells.parquet")
            plan_s, output = snakemake(workdir, "-n", "pyramid")
            jobs = job_counts(output)
            print(f"Amazon pyramid: {len(region)} land cells at z{first}")
            print(f"checkpoints of level 1 and of the validation grids: {grid_s:.1f} s")
            print(f"snakemake -n pyramid: {plan_s:.1f} s, {sum(jobs.values())} jobs")
            for rule, count in sorted(jobs.items(), key=lambda kv: -kv[1]):
                print(f"  {rule:28s} {count:6d}")
            return
        grid_s, _ = snakemake(workdir, "grid")
        plan_s, output = snakemake(workdir, "-n")
        jobs = job_counts(output)
        cells = {
            zoom: len(pd.read_parquet(workdir / "results" / "grid" / f"z{zoom}" / "cells.parquet"))
            for zoom in config["grid"]["zoom_levels"]
        }
    print(f"{n_polygons} polygons, zoom levels {list(cells)}, {sum(cells.values())} cells")
    print(f"grid stage (snakemake, 2 cores): {grid_s:.1f} s")
    print(f"snakemake -n of the whole workflow: {plan_s:.1f} s, {sum(jobs.values())} jobs")
    by_stage = collections.Counter()
    for rule, count in jobs.items():
        by_stage[rule] += count
    for rule, count in sorted(by_stage.items(), key=lambda kv: -kv[1]):
        print(f"  {rule:28s} {count:6d}")
    print(f"baseline, one job per cell and stage: {4 * sum(cells.values())} jobs")


if __name__ == "__main__":
    main()
