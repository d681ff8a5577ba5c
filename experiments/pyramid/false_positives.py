"""The screens' false-positive rate on real mine-free imagery.

    python -m experiments.pyramid.false_positives --scenes ../shared/data/sentinel2/virginia_l1c \\
        ../shared/data/sentinel2/brandenburg_l1c --config config/config.yaml \\
        --screen chip_cnn=results/screens/cnn_model.pt \\
        --screen pixel=results/screens/pixel_model.json --out results/screens/false_positives

Every cell of each level (``pyramid.levels`` and the grid of ``--config``, as
``minescan.pyramid.levels`` derives them) that lies wholly inside a scene, on a grid of the
scene's UTM zone aligned to the cell side, is read through the ``local`` backend at the level's
pixel size and scored by each screen. A cell is kept when its score reaches the screen's
threshold for the target recall, read from the model's sidecar ``<model>.thresholds.json``
(chosen on validation chips, see ``chip_screen_train`` and ``pixel_screen_train``). Every cell
of a mine-free scene that is kept is a false positive: ``summary.csv`` has, per level and screen,
the cells, the kept cells, their share and its 95 % Wilson interval; ``cells.csv`` every score.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import binomtest

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.backends.local import LocalBackend
from minescan.imagery.errors import CellSkipped
from minescan.logs import setup_logging
from minescan.outputs import write_csv
from minescan.pyramid.levels import Level, pyramid_levels
from minescan.pyramid.screens import Screen, load_screen

LOG = logging.getLogger(__name__)
PATTERNS = ("*B*.tif", "*B*.jp2")  # band files only (not an RGB preview)
READ_BANDS = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")


def scene_cells(backend: LocalBackend, level: Level, scene_name: str) -> list[Cell]:
    """Cells of ``level`` wholly inside the scene's footprint, aligned to the cell side."""
    cells = []
    for scene in backend.scenes():
        epsg = scene.crs.to_epsg()
        xmin, ymin, xmax, ymax = scene.bounds
        side = level.cell_size_m
        for x in np.arange(math.ceil(xmin / side) * side, xmax - side + 1e-6, side):
            for y in np.arange(math.ceil(ymin / side) * side, ymax - side + 1e-6, side):
                cell_id = f"{scene_name}_z{level.zoom}_{int(x)}_{int(y)}"
                cells.append(
                    Cell(
                        cell_id,
                        cell_id,
                        level.zoom,
                        epsg,
                        x,
                        y,
                        x + side,
                        y + side,
                        float(level.pixel_size_m),
                    )
                )
    return cells


def wilson(kept: int, n: int) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    ci = binomtest(kept, n).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def read_thresholds(model: Path) -> dict[str, float]:
    """The operating points stored next to the model: ``threshold_*`` keys of its sidecar."""
    sidecar = Path(f"{model}.thresholds.json")
    if not sidecar.is_file():
        raise MinescanInputError(
            str(sidecar),
            "no threshold file next to the model",
            "train the screen with experiments.pyramid.chip_screen_train or pixel_screen_train",
        )
    record = json.loads(sidecar.read_text())
    return {
        k.removeprefix("threshold_"): float(v)
        for k, v in record.items()
        if k.startswith("threshold_") and v is not None
    }


def score_scenes(
    scenes: list[Path], levels: list[Level], screens: dict[str, tuple[Screen, dict[str, float]]]
) -> pd.DataFrame:
    rows = []
    for folder in scenes:
        backend = LocalBackend(
            path=folder, bands=READ_BANDS, patterns=PATTERNS, min_valid_fraction=0.99
        )
        for level in levels:
            for cell in scene_cells(backend, level, folder.name):
                try:
                    image = backend.fetch(cell, np.zeros(cell.shape, dtype=np.uint8))
                except CellSkipped as skipped:
                    LOG.info("%s skipped: %s", cell.cell_id, skipped)
                    continue
                for name, (screen, thresholds) in screens.items():
                    score = screen.score(image.data, image.bands)
                    for point, threshold in thresholds.items():
                        rows.append(
                            {
                                "scene": folder.name,
                                "zoom": level.zoom,
                                "cell_size_m": level.cell_size_m,
                                "pixel_size_m": level.pixel_size_m,
                                "cell_id": cell.cell_id,
                                "screen": name,
                                "operating_point": point,
                                "score": score,
                                "threshold": threshold,
                                # a cell that cannot be scored is kept, as in the scan
                                "kept": bool(np.isnan(score) or score >= threshold),
                            }
                        )
            LOG.info("%s z%d scored", folder.name, level.zoom)
    return pd.DataFrame(rows)


def summarise(cells: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (screen, point, zoom), group in cells.groupby(["screen", "operating_point", "zoom"]):
        n, kept = len(group), int(group["kept"].sum())
        low, high = wilson(kept, n)
        rows.append(
            {
                "screen": screen,
                "operating_point": point,
                "zoom": zoom,
                "cell_size_m": int(group["cell_size_m"].iat[0]),
                "pixel_size_m": int(group["pixel_size_m"].iat[0]),
                "threshold": float(group["threshold"].iat[0]),
                "cells": n,
                "kept": kept,
                "false_positive_rate": kept / n,
                "wilson_low": low,
                "wilson_high": high,
                "area_km2": n * group["cell_size_m"].iat[0] ** 2 / 1e6,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.pyramid.false_positives")
    p.add_argument("--scenes", nargs="+", required=True, help="folders of mine-free scenes")
    p.add_argument("--config", default="config/config.yaml", help="grid and pyramid levels")
    p.add_argument("--screen", action="append", required=True, metavar="NAME=MODEL")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    setup_logging()
    config = yaml.safe_load(Path(args.config).read_text())
    levels = pyramid_levels(config["grid"], config["pyramid"])
    screens = {}
    for spec in args.screen:
        name, _, model = spec.partition("=")
        screens[name] = (load_screen(name, model), read_thresholds(Path(model)))
    cells = score_scenes([Path(s) for s in args.scenes], levels, screens)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(cells, out / "cells.csv")
    summary = summarise(cells)
    write_csv(summary, out / "summary.csv")
    LOG.info("false positives on mine-free scenes:\n%s", summary.to_string(index=False))


if __name__ == "__main__":
    main()
