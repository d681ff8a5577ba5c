"""The shipped chip model as a pyramid screen on real mine-free Level-1C scenes: at each
level's pixel size (10, 20, 40, 80 m: the demo's z16 ... z13, 128 px cells), the share of
mine-free cells it keeps (any 48 px window, at a 24 px stride inside the cell, at or above the
threshold), with and without a dual-threshold spatial prior (a window at ``best_f1`` whose
fifth nearest alarm lies farther than 3 km must reach ``specificity_0.998``, as AMW's 2026
pipeline does with its own pair of thresholds). The rates are what the planner's
``--false-positive-rate`` takes, per level coarsest first.

    python experiments/chips_gallery/pyramid_levels.py --model resources/models/chip_rgb/model.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rasterio import Affine

from minescan.chips.scene_scan import dual_threshold, read_scene, scan_image
from minescan.chips.shipped import load_screen

SCENES = [
    Path("../shared/data/sentinel2/virginia_l1c"),
    Path("../shared/data/sentinel2/brandenburg_l1c/IMG_DATA"),
]
LEVELS = {16: 10, 15: 20, 14: 40, 13: 80}  # zoom: pixel size (m), 128 px cells
CELL_PX, WINDOW_PX, STRIDE_PX = 128, 48, 24


def coarsen(image: np.ndarray, factor: int) -> np.ndarray:
    """Block means of ``factor`` x ``factor`` pixels (a block with any no-data is no-data)."""
    h, w = (s // factor * factor for s in image.shape[:2])
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor, -1).astype(float)
    out = blocks.mean(axis=(1, 3))
    out[~(blocks > 0).all(axis=(1, 3, 4))] = 0
    return out.astype(np.float32)


def cell_flags(alarms: np.ndarray, valid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per 128 px cell wholly valid: whether any window inside it is an alarm."""
    rows, cols = shape[0] // CELL_PX, shape[1] // CELL_PX
    per_cell = (CELL_PX - WINDOW_PX) // STRIDE_PX + 1
    flags = []
    for r in range(rows):
        for c in range(cols):
            if not valid[r * CELL_PX : (r + 1) * CELL_PX, c * CELL_PX : (c + 1) * CELL_PX].all():
                continue
            r0 = -(-r * CELL_PX // STRIDE_PX)
            c0 = -(-c * CELL_PX // STRIDE_PX)
            inside = alarms[r0 : r0 + per_cell, c0 : c0 + per_cell]
            flags.append(bool(inside.any()))
    return np.array(flags, dtype=bool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", type=Path, default=None, help="CSV of the rates")
    args = parser.parse_args()
    torch.set_num_threads(1)
    screen = load_screen(args.model)
    points = screen.thresholds
    rows = []
    for scene in SCENES:
        full, transform, _ = read_scene(scene, screen.bands)
        for zoom, pixel_m in LEVELS.items():
            factor = pixel_m // 10
            image = coarsen(full, factor) if factor > 1 else full
            grid = scan_image(screen, image, STRIDE_PX)
            scores = np.nan_to_num(grid, nan=0.0)
            scale = Affine.scale(STRIDE_PX * pixel_m)
            valid = image.any(axis=-1)
            rules = {name: scores >= t for name, t in points.items()}
            rules["dual prior (best_f1, specificity_0.998)"] = dual_threshold(
                grid, scale, points["best_f1"], points["specificity_0.998"]
            )
            for rule, alarms in rules.items():
                flags = cell_flags(alarms, valid, image.shape[:2])
                rows.append(
                    {
                        "scene": scene.parent.name if scene.name == "IMG_DATA" else scene.name,
                        "zoom": zoom,
                        "pixel_m": pixel_m,
                        "rule": rule,
                        "cells": len(flags),
                        "kept": int(flags.sum()),
                    }
                )
    table = pd.DataFrame(rows)
    both = table.groupby(["zoom", "pixel_m", "rule"], as_index=False)[["cells", "kept"]].sum()
    both["rate"] = both["kept"] / both["cells"]
    if args.out:
        both.to_csv(args.out, index=False)
    print(both.sort_values(["rule", "zoom"]).to_string(index=False))


if __name__ == "__main__":
    main()
