"""Benchmark: the growth measurement on the demo's growth tiles, with stand-in footprints.

Until the footprints stage runs in the same workflow, this makes footprints from the demo's
growth tiles (``results/tiles/growth/<epoch>/z<zoom>/``, SIMULATED imagery over the Amazon
Mining Watch sample) in the footprints contract, three ways: the ``_mine`` band itself (a
perfect segmentation: what is left is the accounting's own error), the same shrunk by one
10 m pixel (a segmentation that misses every mine's edge), and the same with a fifth of the
footprints dropped (seeded). Each goes through ``measure_growth_step``; the new area per pair
of windows is printed next to the dated polygons', with the error and the step's time.

    snakemake growth --cores 2            # the growth tiles
    python tests/benchmarks/bench_growth.py [--results results] [--zoom 15]

Writes only under a temporary folder, never under results/.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fixtures.growth import mine_band_footprints  # noqa: E402

from minescan.growth.config import growth_windows  # noqa: E402
from minescan.growth.steps import measure_growth_step  # noqa: E402

NAMES = ["areas", "changes", "cells", "new_sites", "gpkg", "evaluation", "summary"]
SUFFIX = {"cells": "parquet", "new_sites": "parquet", "gpkg": "gpkg", "summary": "json"}


def variants(footprints, seed: int = 0):
    """The stand-in segmentations of one window's mine-band footprints."""
    rng = np.random.default_rng(seed)
    shrunk = footprints.copy()
    utm = shrunk.to_crs(shrunk.estimate_utm_crs())
    shrunk["geometry"] = utm.buffer(-10).to_crs(4326)
    shrunk = shrunk[~shrunk.geometry.is_empty]
    kept = footprints[rng.random(len(footprints)) >= 0.2]
    return {"mine band": footprints, "shrunk 10 m": shrunk, "a fifth dropped": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--zoom", type=int, default=15)
    parser.add_argument("--config", default="config/config.yaml")
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    growth = config["growth"]
    windows = growth_windows(growth["epochs"], config["imagery"]["epochs"])
    results, zoom = Path(args.results), args.zoom
    tiles = {w.epoch: results / "tiles" / "growth" / w.epoch / f"z{zoom}" for w in windows}
    statuses = {
        e: sorted(str(p) for p in folder.glob("*.status.csv")) for e, folder in tiles.items()
    }
    made = {
        e: variants(
            pd.concat(
                [
                    mine_band_footprints(shard, e, zoom)
                    for shard in sorted(folder.iterdir())
                    if shard.is_dir()
                ],
                ignore_index=True,
            ).pipe(lambda frame: frame.set_crs(4326, allow_override=True))
        )
        for e, folder in tiles.items()
    }
    with tempfile.TemporaryDirectory() as scratch:
        for name in made[windows[0].epoch]:
            folder = Path(scratch) / name.replace(" ", "_")
            folder.mkdir()
            paths = []
            for w in windows:
                path = folder / f"{w.epoch}.parquet"
                made[w.epoch][name].to_parquet(path)
                paths.append(str(path))
            start = time.perf_counter()
            measure_growth_step(
                cells=str(results / "grid" / "growth" / f"z{zoom}" / "cells.parquet"),
                polygons=str(results / "polygons" / "growth" / "polygons.parquet"),
                footprints=paths,
                statuses=statuses,
                windows=[{"epoch": w.epoch, "start": w.start, "end": w.end} for w in windows],
                new_site_distance_m=float(growth["new_site_distance_m"]),
                region=growth.get("region_name", "region"),
                imagery="SIMULATED imagery (synthetic backend)",
                outputs={n: str(folder / f"{n}.{SUFFIX.get(n, 'csv')}") for n in NAMES},
            )
            seconds = time.perf_counter() - start
            table = pd.read_csv(
                folder / "evaluation.csv", dtype={"from_epoch": str, "to_epoch": str}
            )
            total = 100 * (table["measured_new_m2"].sum() / table["true_new_m2"].sum() - 1)
            print(f"\n{name} (SIMULATED imagery), measure step {seconds:.2f} s")
            print(f"  total new-area error {total:+.2f} %")
            for row in table.itertuples():
                print(
                    f"  {row.from_epoch} -> {row.to_epoch}: new "
                    f"{row.measured_new_m2 / 1e6:.3f} km2 measured, "
                    f"{row.true_new_m2 / 1e6:.3f} km2 true ({row.new_error_pct:+.2f} %); "
                    f"area at {row.to_epoch} {row.measured_area_to_m2 / 1e6:.3f} vs "
                    f"{row.true_area_to_m2 / 1e6:.3f} km2 ({row.area_to_error_pct:+.2f} %); "
                    f"lost {row.measured_lost_m2 / 1e6:.3f} km2 measured"
                )


if __name__ == "__main__":
    main()
