"""The screens' false-positive rate on real mine-free imagery, per pyramid level.

    python -m minescan.pyramid.false_positives --model results/chips/cnn_model.pt \\
        --scenes ../shared/data/sentinel2 --configfile config/config.yaml \\
        --out results/screens/false_positives

Every scene of ``--scenes`` (read through the ``local`` backend) is cut into the cells of each
pyramid level, at the level's cell side and pixel size (``minescan.pyramid.levels``). The chip
CNN scans each cell in 48 px windows at half-patch stride, as Amazon Mining Watch does; the
cell's score is its best window. A cell is kept when its score reaches the threshold, which is
chosen on the model's validation chips (real labelled chips of regions it did not train on) for
the pyramid's target recall, and, for comparison, at the model's own thresholds (best F1 and
specificity 0.99 on the same chips). The imagery holds no mapped mine, so every kept cell is a
false positive: the share kept is the screen's false-positive rate, the figure the planner
assumes (``pyramid.planned_false_positive_rate``).

Writes ``cells.csv`` (every cell's score), ``summary.csv`` (per level and threshold: cells,
kept, share with its Wilson 95 % interval, and the same per window) and ``summary.json`` (the
per-level rates at the target recall, for the planner, with the provenance).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import binomtest

from minescan.chips.cnn import Ensemble, load_models
from minescan.chips.raster import score_windows
from minescan.chips.table import CHIP_BANDS
from minescan.detection.background import background_tiles
from minescan.errors import MinescanInputError
from minescan.logs import setup_logging
from minescan.outputs import write_csv, write_json
from minescan.provenance import provenance as make_provenance
from minescan.pyramid.levels import Level, pyramid_levels

LOG = logging.getLogger(__name__)
STRIDE_PX = 24  # half the 48 px patch
WINDOW_PX = 48


def cell_scores(
    ensemble: Ensemble, scenes: str | Path, levels: Sequence[Level], stride: int = STRIDE_PX
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per cell of every level: its best window score, its valid share and its window count;
    and every window's score (for the per-window rate), tagged by level."""
    rows, windows = [], []
    for level in levels:
        if level.side_px < WINDOW_PX:
            raise MinescanInputError(
                "pyramid",
                f"level {level.zoom}'s cells are {level.side_px} px, smaller than the CNN's "
                f"{WINDOW_PX} px window",
                "use levels whose cells hold at least 48 pixels a side",
            )
        count = 0
        for cell_id, image in background_tiles(
            scenes, CHIP_BANDS, level.side_px, level.pixel_size_m
        ):
            reflectance = np.moveaxis(image.data.astype(np.float32), 0, -1)
            score = score_windows(ensemble, reflectance, stride)
            finite = score[np.isfinite(score)]
            rows.append(
                {
                    "zoom": level.zoom,
                    "pixel_size_m": level.pixel_size_m,
                    "cell_size_m": level.cell_size_m,
                    "cell": cell_id,
                    "valid_fraction": float(image.valid.mean()),
                    "windows": int(finite.size),
                    "score": float(finite.max()) if finite.size else np.nan,
                }
            )
            windows.append(np.column_stack([np.full(finite.size, level.zoom), finite]))
            count += 1
        LOG.info(
            "level z%d (%d m cells at %d m): %d cells scored",
            level.zoom,
            level.cell_size_m,
            level.pixel_size_m,
            count,
        )
    return pd.DataFrame(rows), (np.concatenate(windows) if windows else np.empty((0, 2)))


def _rate(kept: int, total: int) -> tuple[float, float, float]:
    if total == 0:
        return np.nan, np.nan, np.nan
    interval = binomtest(kept, total).proportion_ci(method="wilson")
    return kept / total, float(interval.low), float(interval.high)


def summarise(
    cells: pd.DataFrame, windows: np.ndarray, thresholds: Mapping[str, float]
) -> pd.DataFrame:
    """Share of cells (and of windows) kept per level and threshold, with Wilson intervals."""
    out = []
    scored = cells[cells["score"].notna()]
    for name, threshold in thresholds.items():
        for zoom, group in scored.groupby("zoom", sort=True):
            kept = int((group["score"] >= threshold).sum())
            share, low, high = _rate(kept, len(group))
            level_windows = windows[windows[:, 0] == zoom, 1]
            w_kept = int((level_windows >= threshold).sum())
            w_share, w_low, w_high = _rate(w_kept, len(level_windows))
            out.append(
                {
                    "threshold_name": name,
                    "threshold": round(float(threshold), 6),
                    "zoom": int(zoom),
                    "pixel_size_m": int(group["pixel_size_m"].iat[0]),
                    "cell_size_m": int(group["cell_size_m"].iat[0]),
                    "cells": len(group),
                    "cells_kept": kept,
                    "false_positive_rate": share,
                    "ci_low": low,
                    "ci_high": high,
                    "windows": len(level_windows),
                    "windows_kept": w_kept,
                    "window_false_positive_rate": w_share,
                    "window_ci_low": w_low,
                    "window_ci_high": w_high,
                }
            )
    return pd.DataFrame(out)


def screen_thresholds(ensemble: Ensemble, target_recall: float) -> dict[str, float]:
    """The thresholds compared: the target recall's (the pyramid's), best F1, spec. 0.99."""
    thresholds = {f"recall_{target_recall:g}": ensemble.threshold_for_recall(target_recall)}
    thresholds["best_f1"] = float(ensemble.threshold)
    if ensemble.threshold_specificity is not None:
        thresholds["specificity_0.99"] = float(ensemble.threshold_specificity)
    return thresholds


def config_levels(configfile: str | Path) -> tuple[list[Level], float]:
    """The pyramid levels and target recall of a minescan config file."""
    path = Path(configfile)
    if not path.is_file():
        raise MinescanInputError(path, "config file not found", "give config/config.yaml or yours")
    config = yaml.safe_load(path.read_text()) or {}
    if "grid" not in config or "pyramid" not in config:
        raise MinescanInputError(path, "has no grid: and pyramid: sections", "give a full config")
    return pyramid_levels(config["grid"], config["pyramid"]), float(
        config["pyramid"].get("target_recall", 0.98)
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m minescan.pyramid.false_positives",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, help="the chip CNN file (cnn_model.pt)")
    p.add_argument("--scenes", required=True, help="folder of real mine-free scenes")
    p.add_argument("--configfile", default="config/config.yaml", help="pyramid levels from it")
    p.add_argument("--target-recall", type=float, help="default: the config's target_recall")
    p.add_argument("--out", required=True, help="output folder")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out)
    setup_logging(out / "false_positives.log")
    levels, target_recall = config_levels(args.configfile)
    target_recall = args.target_recall or target_recall
    models = load_models(args.model)
    if "presence" not in models:
        raise MinescanInputError(args.model, "holds no presence (patch) model")
    ensemble = models["presence"]
    thresholds = screen_thresholds(ensemble, target_recall)
    LOG.info("thresholds: %s", {k: round(v, 4) for k, v in thresholds.items()})
    cells, windows = cell_scores(ensemble, args.scenes, levels)
    summary = summarise(cells, windows, thresholds)
    write_csv(cells, out / "cells.csv")
    write_csv(summary, out / "summary.csv")
    chosen = summary[summary["threshold_name"] == f"recall_{target_recall:g}"]
    record = {
        "screen": "chip_cnn",
        "target_recall": target_recall,
        "thresholds": thresholds,
        "false_positive_rate": {
            str(r.zoom): r.false_positive_rate for r in chosen.itertuples(index=False)
        },
        "cells": {str(r.zoom): r.cells for r in chosen.itertuples(index=False)},
    }
    params = {**vars(args), "target_recall": target_recall}
    write_json(record, out / "summary.json", make_provenance(params, {"model": args.model}))
    LOG.info("\n%s", summary.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
