"""Simulated pixel tables in the pixel-table schema (labelled simulated), for tests and the
benchmark: vegetation with disk-shaped patches of bare mine ground and blurred edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

BANDS = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12"]
# mean reflectance x 10000 of vegetation and of bare mine ground (rough Sentinel-2 spectra)
VEGETATION = np.array([300, 600, 400, 1000, 2300, 2800, 3000, 3100, 3200, 1700, 800])
MINE = np.array([900, 1200, 1500, 1700, 1900, 2000, 2100, 2150, 2200, 2900, 2500])


def pixel_table(n_cells: int, side: int = 24, seed: int = 0, shard: str = "s0") -> pd.DataFrame:
    """``n_cells`` cells of side x side pixels; every other cell holds a disk-shaped mine."""
    rng = np.random.default_rng(seed)
    rows, cols = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    parts = []
    for c in range(n_cells):
        positive = c % 2 == 0
        cx, cy = rng.uniform(side * 0.25, side * 0.75, 2)
        r = rng.uniform(0.15, 0.3) * side
        dist = (np.hypot(rows - cy, cols - cx) - r) * 10.0
        if not positive:
            dist = dist + 2000
        mine = (dist < 0).astype(np.uint8)
        mix = np.clip(0.5 - dist / 60, 0, 1)[..., None]  # blurred edge
        mean = VEGETATION * (1 - mix) + MINE * mix
        values = mean * rng.lognormal(0, 0.15, size=mean.shape)
        frame = pd.DataFrame(
            np.clip(values.reshape(-1, len(BANDS)), 1, 65535).astype(np.uint16), columns=BANDS
        )
        frame.insert(0, "col", cols.ravel().astype(np.int32))
        frame.insert(0, "row", rows.ravel().astype(np.int32))
        frame.insert(0, "zoom", np.int32(16))
        frame.insert(0, "name", f"cell{c}")
        frame.insert(0, "cell_id", f"{shard}_c{c:03d}")
        frame["distance_m"] = dist.ravel().astype(np.float32)
        frame["mine"] = mine.ravel()
        frame["label"] = "positive" if positive else "negative"
        frame["country"] = ["IDN", "BRA", "PER", "GHA"][c % 4]
        frame["climate"] = ["Af", "Am", "Aw"][c % 3]
        frame["centroid_lon"] = 116.0 + c * 0.05
        frame["centroid_lat"] = -1.0
        frame["overlap_fraction"] = float(mine.mean())
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def write_tables(folder: Path, n_shards: int = 2, n_cells: int = 20) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(n_shards):
        path = folder / f"s{s}.parquet"
        pixel_table(n_cells, seed=s, shard=f"s{s}").to_parquet(path)
        paths.append(str(path))
    return paths
