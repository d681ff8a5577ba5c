"""The pyramid's rules as plain functions, called by the thin scripts in workflow/scripts/."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from minescan.cells import read_cells
from minescan.detection.predict import merge_detections
from minescan.errors import MinescanInputError
from minescan.grid.build import level_spec
from minescan.grid.outputs import shard_summary
from minescan.grid.regions import region_geometry
from minescan.outputs import (
    write_csv,
    write_geoparquet,
    write_gpkg_layers,
    write_json,
    write_parquet,
)
from minescan.probability.apply import SCORE_COLUMNS
from minescan.pyramid import accounting
from minescan.pyramid.descend import children_in_region, kept_cells
from minescan.pyramid.spatial_prior import SpatialPrior, prior_columns
from minescan.pyramid.thresholds import choose_thresholds, validation_table

log = logging.getLogger(__name__)


def _read_scores(paths: Sequence[str]) -> pd.DataFrame:
    """Screen scores of shards in one table (with every column even when there are none: a
    level whose parents were all dropped scores no cell)."""
    frames = [pd.read_parquet(p) for p in paths]
    frames = [f for f in frames if len(f)] or [pd.DataFrame(columns=list(SCORE_COLUMNS))]
    return pd.concat(frames, ignore_index=True)


def merge_screen_scores(*, scores: Sequence[str], out: str, provenance: dict) -> None:
    """Every shard's screen scores of one level in one table."""
    write_parquet(_read_scores(scores), out, provenance)


def threshold_step(
    *,
    cells: str,
    scores: str,
    zoom: int,
    statistic: str,
    target_recall: float,
    curve_targets: Sequence[float],
    out_json: str,
    out_png: str,
    provenance: dict,
) -> dict:
    """The level's threshold for the target recall (and for the curve's targets), on the grid's
    positive and negative cells of its zoom, with the evidence."""
    table = validation_table(read_cells(cells), pd.read_parquet(scores), statistic)
    record = choose_thresholds(table, target_recall, curve_targets, source=f"{cells} (z{zoom})")
    record.update(zoom=int(zoom), statistic=statistic)
    chosen = record["chosen"]
    log.info(
        "z%s: threshold %.4g on %s keeps %.3f of the validation mine area, %.3f of the positive "
        "cells and %.3f of the negatives",
        zoom,
        chosen["threshold"],
        statistic,
        chosen["area_recall"],
        chosen["cell_recall"],
        chosen["false_positive_rate"],
    )
    from minescan.pyramid.plots import plot_threshold  # matplotlib only where a job plots

    plot_threshold(table, chosen, int(zoom), out_png)
    write_json(record, out_json, provenance)
    return record


def level_cells_step(
    *,
    zoom: int,
    level: dict[str, Any],
    region: Any,
    min_land_fraction: float,
    cells: str,
    shards: str,
    provenance: dict,
    start: str | None = None,
    parent_cells: str | None = None,
    parent_scores: str | None = None,
    parent_threshold: str | None = None,
) -> gpd.GeoDataFrame:
    """The cells one pyramid level scores: the region's cells at the first level, and the
    children of the cells the previous level kept at the others."""
    if start is not None:
        table = gpd.read_parquet(start)
        log.info("z%s: the first level scores all %d land cells of the region", zoom, len(table))
    else:
        threshold = json.loads(Path(parent_threshold).read_text())
        parents = read_cells(parent_cells)
        kept = kept_cells(
            parents, pd.read_parquet(parent_scores), threshold["statistic"], threshold["threshold"]
        )
        spec = level_spec(zoom=int(zoom), **level)
        table = children_in_region(
            kept, int(zoom), spec, region_geometry(region), min_land_fraction
        )
        log.info(
            "z%s: %d of %d parent cells kept (threshold %.4g on %s) -> %d children in the region",
            zoom,
            len(kept),
            len(parents),
            threshold["threshold"],
            threshold["statistic"],
            len(table),
        )
    write_geoparquet(table, cells, provenance)
    write_csv(shard_summary(table), shards)
    return table


def _scored_levels(
    zooms: Sequence[int],
    cells: Sequence[str],
    scores: Sequence[str],
    statistic: Mapping[int, str],
) -> dict[int, gpd.GeoDataFrame]:
    """Each level's cells with its score (``statistic``: per zoom, from its threshold)."""
    out = {}
    for zoom, cell_path, score_path in zip(zooms, cells, scores, strict=True):
        table = gpd.read_parquet(cell_path)
        score = _read_scores([score_path])
        keep = ["cell_id", statistic[zoom], "model_seconds", "probability_path"]
        out[zoom] = table.merge(score[[c for c in keep if c in score]], on="cell_id", how="left")
    return out


def report_step(
    *,
    levels: Sequence[Mapping[str, int]],
    pyramid_cells: Sequence[str],
    pyramid_scores: Sequence[str],
    thresholds: Sequence[str],
    region_cells: Sequence[str],
    region_scores: Sequence[str],
    polygons: str,
    region: Any,
    bands: int,
    simulated: bool,
    summary: str,
    curve: str,
    curve_png: str,
    map_png: str,
    provenance: dict,
) -> pd.DataFrame:
    """Per level: cells scored and kept, pixels and bytes fetched, model time, and the recall
    of polygon area and count; the exhaustive finest-level scan of the same region; and the
    recall/compute curve over the curve's recall targets."""
    zooms = [int(lv["zoom"]) for lv in levels]
    side = {int(lv["zoom"]): int(lv["side_px"]) for lv in levels}
    records = [json.loads(Path(p).read_text()) for p in thresholds]
    # per level: a detector level is thresholded on its best box, the others on
    # pyramid.statistic
    statistic = {z: r["statistic"] for z, r in zip(zooms, records, strict=True)}
    threshold = {z: r["threshold"] for z, r in zip(zooms, records, strict=True)}
    geometry = region_geometry(region)
    truth = accounting.region_polygons(gpd.read_parquet(polygons), geometry)
    scanned = _scored_levels(zooms, pyramid_cells, pyramid_scores, statistic)
    rows = []
    for k, zoom in enumerate(zooms):
        table = scanned[zoom]
        score = table[statistic[zoom]].to_numpy(float)
        table["kept"] = ~np.isfinite(score) | (score >= threshold[zoom])
        rows.append(_scan_row("pyramid", zoom, levels[k], table, threshold[zoom], bands, truth))
    exhaustive = None
    finest = zooms[-1]
    region_levels = {}
    if region_cells:
        region_levels = _scored_levels(zooms, region_cells, region_scores, statistic)
        exhaustive = region_levels[finest].assign(kept=True)
        rows.append(_scan_row("exhaustive", finest, levels[-1], exhaustive, np.nan, bands, truth))
    frame = pd.DataFrame(rows)
    pyramid_rows = frame[frame["scan"] == "pyramid"]
    exhaustive_pixels = len(exhaustive) * side[finest] ** 2 if exhaustive is not None else np.nan
    frame["pixel_fraction_of_exhaustive"] = frame["pixels"] / exhaustive_pixels
    total = {
        "scan": "pyramid total",
        "zoom": finest,
        "cells_scored": int(pyramid_rows["cells_scored"].sum()),
        "pixels": int(pyramid_rows["pixels"].sum()),
        "bytes": int(pyramid_rows["bytes"].sum()),
        "model_seconds": float(pyramid_rows["model_seconds"].sum()),
        "area_recall_scored": float(pyramid_rows["area_recall_scored"].iloc[-1]),
        "polygon_recall_scored": float(pyramid_rows["polygon_recall_scored"].iloc[-1]),
        "pixel_fraction_of_exhaustive": int(pyramid_rows["pixels"].sum()) / exhaustive_pixels,
    }
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    log.info(
        "pyramid: %d cells scored, %.1f%% of the exhaustive scan's pixels; %.3f of the mine "
        "area and %.3f of the polygons reached at z%d",
        total["cells_scored"],
        100 * total["pixel_fraction_of_exhaustive"],
        total["area_recall_scored"],
        total["polygon_recall_scored"],
        finest,
    )
    curve_frame = _curve(zooms, side, records, scanned, region_levels, truth, exhaustive_pixels)
    write_csv(frame, summary)
    write_csv(curve_frame, curve)
    from minescan.pyramid.plots import plot_curve, plot_levels  # matplotlib only here

    plot_curve(
        curve_frame,
        total["area_recall_scored"] if exhaustive is None else rows[-1]["area_recall_scored"],
        curve_png,
        simulated,
    )
    plot_levels(
        [(z, scanned[z]) for z in zooms],
        gpd.read_parquet(polygons).to_crs(4326).clip(geometry),
        gpd.GeoSeries([geometry], crs=4326),
        map_png,
        simulated,
    )
    return frame


def _scan_row(
    scan: str,
    zoom: int,
    level: Mapping[str, int],
    table: gpd.GeoDataFrame,
    threshold: float,
    bands: int,
    truth: gpd.GeoSeries,
) -> dict[str, Any]:
    """One level of a scan: cells scored and kept, pixels and bytes, model time, recall."""
    pixels = len(table) * int(level["side_px"]) ** 2
    reached = accounting.recall(truth, table.geometry)
    kept = accounting.recall(truth, table[table["kept"]].geometry)
    return {
        "scan": scan,
        "zoom": zoom,
        "pixel_size_m": level["pixel_size_m"],
        "cells_scored": len(table),
        "cells_kept": int(table["kept"].sum()),
        "threshold": threshold,
        "pixels": pixels,
        "bytes": pixels * (bands + 1) * 2,
        "model_seconds": float(table["model_seconds"].fillna(0).sum()),
        "area_recall_scored": reached["area_recall"],
        "polygon_recall_scored": reached["polygon_recall"],
        "area_recall_kept": kept["area_recall"],
        "polygon_recall_kept": kept["polygon_recall"],
    }


def _curve(zooms, side, records, scanned, region_levels, truth, exhaustive_pixels) -> pd.DataFrame:
    """Replay the scan for every recall target of the thresholds' curve. Without the exhaustive
    scores only targets whose thresholds are all at least the scan's can be replayed."""
    statistic = {z: r["statistic"] for z, r in zip(zooms, records, strict=True)}
    source = region_levels or scanned
    cells = {z: source[z].set_index("cell_id") for z in zooms}
    scores = {z: cells[z][statistic[z]].dropna().to_dict() for z in zooms}
    region = {z: set(cells[z].index) for z in zooms}
    targets = [c["target_recall"] for c in records[0]["curve"]]
    rows = []
    for k, target in enumerate(targets):
        thresholds = {z: r["curve"][k]["threshold"] for z, r in zip(zooms, records, strict=True)}
        looser = any(thresholds[z] < r["threshold"] for z, r in zip(zooms, records, strict=True))
        if looser and not region_levels:
            continue
        scored = accounting.replay(zooms, list(cells[zooms[0]].index), region, scores, thresholds)
        finest = cells[zooms[-1]].loc[scored[zooms[-1]]]
        reached = accounting.recall(truth, gpd.GeoSeries(finest.geometry, crs=4326))
        pixels = sum(len(scored[z]) * side[z] ** 2 for z in zooms)
        rows.append(
            {
                "target_recall": target,
                "cells_scored": sum(len(scored[z]) for z in zooms),
                "pixels": pixels,
                "pixel_fraction": pixels / exhaustive_pixels,
                **reached,
            }
        )
    return pd.DataFrame(rows)


def merge_step(
    *,
    cells: Sequence[str],
    scores: Sequence[str],
    thresholds: Sequence[str],
    zooms: Sequence[int],
    detections: Sequence[str],
    gpkg: str,
    parquet: str,
    provenance: dict,
    spatial_prior: Mapping[str, Any] | None = None,
) -> None:
    """The scan's result for the region in one GeoPackage: every scored cell of every level
    (score, threshold, kept), the probability raster of each cell of the final level, and the
    detector's boxes there; the boxes also as GeoParquet. ``spatial_prior``
    (``pyramid.spatial_prior``) adds the boxes' ``isolated`` and ``kept_prior`` columns."""
    prior = SpatialPrior.from_config(spatial_prior)
    layers = []
    for cell_path, score_path, threshold_path in zip(cells, scores, thresholds, strict=True):
        record = json.loads(Path(threshold_path).read_text())
        table = gpd.read_parquet(cell_path).merge(
            _read_scores([score_path]), on="cell_id", how="left"
        )
        score = table[record["statistic"]].to_numpy(float)
        table["screen_score"] = score
        table["threshold"] = record["threshold"]
        table["kept"] = ~np.isfinite(score) | (score >= record["threshold"])
        layers.append(table)
    merged = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=4326)
    boxes = merge_detections(detections) if detections else merged.iloc[:0][["geometry"]]
    if detections:
        boxes = prior_columns(boxes, prior)
    layers = {"cells": merged, **({"detections": boxes} if detections else {})}
    write_gpkg_layers(layers, gpkg)
    write_geoparquet(boxes, parquet, provenance)
    log.info(
        "pyramid result: %d cells of %d levels, %d detections", len(merged), len(zooms), len(boxes)
    )


def check_region_has_land(cells: gpd.GeoDataFrame, region: Any, zoom: int) -> None:
    if cells.empty:
        raise MinescanInputError(
            "config",
            f"pyramid.region {region!r} has no land cell at zoom {zoom} (a region in the sea, "
            "or with no land)",
            "give a region that covers land",
        )
