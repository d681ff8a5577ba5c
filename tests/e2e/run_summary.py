"""A small summary of every stage of a finished run, and its tolerant comparison with a golden one.

The summary holds what a user would check by eye: cells per zoom and label, tiles and their
bands and pixel size, pixel rows, model metrics, the exported Earth Engine expression evaluated
with numpy against the model, probability scores, and the real-chip metrics.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

from minescan.imagery.tile import read_tile
from minescan.pixelmodels.model import LinearModel
from minescan.probability.gee import evaluate_probability

# Relative tolerance of counts (rows sampled per cell are seeded, so they are exact; the
# tolerance absorbs platform differences of floating point at polygon edges) and absolute
# tolerance of metrics in [0, 1] (solvers differ slightly across BLAS builds).
COUNT_RTOL = 0.01
METRIC_ATOL = 0.03


def grid_summary(results: Path, zooms: list[int]) -> dict[str, Any]:
    out = {}
    for zoom in zooms:
        cells = gpd.read_parquet(results / "grid" / f"z{zoom}" / "cells.parquet")
        out[f"z{zoom}"] = {
            "cells": {str(k): int(v) for k, v in cells["label"].value_counts().items()},
            "shards": int(cells["shard"].nunique()),
        }
    return out


def tiles_summary(folder: Path) -> dict[str, Any]:
    """Status counts of a zoom level's tiles, and the bands, size and pixel of its first tile."""
    status = pd.read_csv(folder / "status.csv")
    ok = status[status["status"] == "ok"]
    first = folder / str(ok["shard"].iloc[0]) / str(ok["tile"].iloc[0])
    with rasterio.open(first) as src:
        tile = {
            "bands": list(src.descriptions),
            "width": src.width,
            "pixel_size_m": float(src.res[0]),
            "simulated": src.tags().get("simulated"),
        }
    return {"status": {str(k): int(v) for k, v in status["status"].value_counts().items()}, **tile}


def models_summary(folder: Path) -> dict[str, Any]:
    comparison = pd.read_csv(folder / "comparison.csv")
    channels = json.loads((folder / "channels.json").read_text())
    return {
        "pr_auc": {
            f"{r.unit}/{r.model}": round(float(r.pr_auc), 4) for r in comparison.itertuples()
        },
        "detection_channels": len(channels["detection_channels"]),
    }


def gee_export_error(results: Path, zoom: int, deploy: str) -> float:
    """Largest difference between the exported expression (Earth Engine semantics, evaluated
    with numpy) and the model's own probability, over the valid pixels of one tile."""
    model = LinearModel.load(results / "models" / f"z{zoom}" / "pixel" / deploy / "model.json")
    expression = (results / "probability" / f"z{zoom}" / "gee" / "expression.txt").read_text()
    if (
        expression.strip()
        not in (results / "probability" / f"z{zoom}" / "gee" / "mine_probability.py").read_text()
    ):
        return math.inf
    tile_path = next((results / "tiles" / "training").glob(f"*/z{zoom}/*/*.tif"))
    tile = read_tile(tile_path)
    columns = {
        band: tile.data[i][tile.valid].astype(np.float64) for i, band in enumerate(tile.bands)
    }
    return float(np.max(np.abs(evaluate_probability(model, columns) - model.probability(columns))))


def probability_summary(results: Path, zoom: int) -> dict[str, Any]:
    scores = pd.read_parquet(results / "probability" / f"z{zoom}" / "scores.parquet")
    mine = scores["mine_fraction"] > 0.2
    return {
        "cells": len(scores),
        "mean_probability_mine_cells": round(float(scores.loc[mine, "mean_probability"].mean()), 4),
        "mean_probability_other_cells": round(
            float(scores.loc[~mine, "mean_probability"].mean()), 4
        ),
    }


def detection_summary(folder: Path) -> dict[str, Any]:
    """A detection dataset's splits, that its models, tables and metrics exist, and what the
    evaluation counted (the demo's 1-epoch model finds nothing: its figures say the code runs)."""
    dataset = json.loads((folder / "dataset.json").read_text())
    metrics = json.loads((folder / "evaluation" / "metrics.json").read_text())
    detections = gpd.read_parquet(folder / "detections.parquet")
    cv = pd.read_csv(folder / "cv.csv")
    return {
        "channels": dataset["channels"],
        "splits": {
            split: {"images": int(part["images"]), "objects": int(part["objects"])}
            for split, part in dataset["splits"].items()
        },
        "weights": (folder / "train" / "final" / "weights.pt").stat().st_size > 100_000,
        "cv_folds": int((~cv["fold"].isin(["mean", "std"])).sum()),
        "evaluated": {k: metrics[k] for k in ("tiles", "objects", "mine_free_tiles")},
        "metrics": sorted(k for k in metrics if k.startswith(("map", "object_recall", "false"))),
        "detections_lonlat": detections.crs is not None and detections.crs.to_epsg() == 4326,
    }


def first_tile(folder: Path) -> dict[str, Any]:
    """Bands, size and pixel of the first tile of a level (pyramid levels have no summary)."""
    with rasterio.open(sorted(folder.glob("*/*.tif"))[0]) as src:
        return {
            "bands": list(src.descriptions),
            "width": src.width,
            "pixel_size_m": float(src.res[0]),
            "simulated": src.tags().get("simulated"),
        }


def pyramid_summary(folder: Path, levels: list[int], epoch: str) -> dict:
    """Cells per level, the pixel share and recall of the scan, and its first level's tiles."""
    table = pd.read_csv(folder / "summary.csv").set_index("scan")
    per_level = table.loc[["pyramid"]]
    total = table.loc["pyramid total"]
    zooms = [str(z) for z in per_level["zoom"]]
    return {
        "cells_scored": dict(zip(zooms, map(int, per_level["cells_scored"]), strict=True)),
        "cells_kept": dict(zip(zooms, map(int, per_level["cells_kept"]), strict=True)),
        "exhaustive_cells": int(table.loc["exhaustive", "cells_scored"]),
        "pixel_fraction": round(float(total["pixel_fraction_of_exhaustive"]), 4),
        "area_recall": round(float(total["area_recall_scored"]), 4),
        "polygon_recall": round(float(total["polygon_recall_scored"]), 4),
        "first_level_tiles": first_tile(
            folder.parent / "tiles" / "pyramid" / epoch / f"z{levels[0]}"
        ),
    }


def summarise_run(workdir: Path, config: dict[str, Any]) -> dict[str, Any]:
    results = workdir / "results"
    zooms = [int(z) for z in config["grid"]["zoom_levels"]]
    epoch = config["imagery"]["epoch"]
    models_zoom = config["models"]["zoom"] or max(zooms)
    cleaning = json.loads((results / "polygons" / "cleaning.json").read_text())
    summary: dict[str, Any] = {
        "polygons": int(cleaning["polygons_written"]),
        "grid": grid_summary(results, zooms),
        "tiles": {
            f"training/z{z}": tiles_summary(results / "tiles" / "training" / epoch / f"z{z}")
            for z in zooms
        },
        "pixels": {
            f"z{z}": {
                "rows": int(table["rows"].sum()),
                "mine_rows": int(table["mine_rows"].sum()),
            }
            for z in zooms
            for table in [pd.read_csv(results / "pixels" / f"z{z}" / "summary.csv")]
        },
        "models": models_summary(results / "models" / f"z{models_zoom}"),
        "probability": probability_summary(results, models_zoom),
    }
    pyramid = config.get("pyramid") or {}
    if pyramid.get("enabled"):
        summary["pyramid"] = pyramid_summary(results / "pyramid", pyramid["levels"], epoch)
    detection = config.get("detection") or {}
    if detection.get("enabled"):
        zooms_detected = detection["zooms"] if detection["zooms"] is not None else zooms
        summary["detection"] = {
            f"z{z}": detection_summary(results / "detection" / f"z{z}") for z in zooms_detected
        }
    chips = results / "chips" / "metrics.csv"
    if chips.exists():
        metrics = pd.read_csv(chips)
        summary["chips"] = {
            f"{r.task}/{r.model}": round(float(r.pr_auc), 4) for r in metrics.itertuples()
        }
        weak = results / "chips" / "weak_labels" / "agreement.csv"
        if weak.exists():
            agreement = pd.read_csv(weak).set_index("role")
            overall = agreement.loc["presence task (positive vs negative)"]
            summary["chips"]["weak_labels/agreement"] = round(float(overall["agreement"]), 4)
            summary["chips"]["weak_labels/cohen_kappa"] = round(float(overall["cohen_kappa"]), 4)
    return summary


def differences(actual: Any, golden: Any, path: str = "") -> list[str]:
    """Where ``actual`` departs from ``golden``: counts beyond COUNT_RTOL, metrics in [0, 1]
    beyond METRIC_ATOL, anything else unequal."""
    if isinstance(golden, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not a mapping"]
        found = []
        for key in sorted(set(golden) | set(actual)):
            if key not in actual or key not in golden:
                found.append(f"{path}/{key}: only in {'golden' if key in golden else 'actual'}")
            else:
                found += differences(actual[key], golden[key], f"{path}/{key}")
        return found
    if isinstance(golden, bool | str) or golden is None:
        return [] if actual == golden else [f"{path}: {actual!r} != golden {golden!r}"]
    if isinstance(golden, int) and isinstance(actual, int):
        ok = abs(actual - golden) <= COUNT_RTOL * max(abs(golden), 1)
        return [] if ok else [f"{path}: {actual} != golden {golden} (+-{COUNT_RTOL:.0%})"]
    if isinstance(golden, int | float):
        if not isinstance(actual, int | float) or math.isnan(actual):
            return [f"{path}: {actual!r} != golden {golden!r}"]
        ok = abs(actual - golden) <= METRIC_ATOL
        return [] if ok else [f"{path}: {actual:.4f} != golden {golden:.4f} (+-{METRIC_ATOL})"]
    return [] if actual == golden else [f"{path}: {actual!r} != golden {golden!r}"]
