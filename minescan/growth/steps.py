"""The growth stage's rules as plain functions, called by their thin scripts and by the tests.

Footprints contract (one GeoParquet per date window, written by the footprints stage):
``footprint_id, cell_id, zoom, epoch, area_m2, mean_probability, geometry`` in any CRS (EPSG:4326
as written). Only ``geometry`` and, when present, ``epoch`` are read: areas are recomputed on the
cells' UTM zones, so a footprint that crosses a cell edge counts once, in each cell for its part.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from minescan.errors import MinescanInputError
from minescan.growth.change import cell_areas, cell_changes, mine_geometries, observations
from minescan.growth.config import Window
from minescan.growth.evaluate import evaluate_growth, true_geometries
from minescan.growth.tables import area_table, change_table, span_totals
from minescan.outputs import write_csv, write_geoparquet, write_gpkg_layers, write_json
from minescan.provenance import provenance

log = logging.getLogger(__name__)


def read_footprints(path: str | Path, epoch: str) -> gpd.GeoDataFrame:
    """One window's footprints in EPSG:4326; a file of another window is refused."""
    frame = gpd.read_parquet(path)
    if frame.crs is None:
        raise MinescanInputError(path, "footprints have no CRS", "write them with EPSG:4326")
    if "epoch" in frame.columns and len(frame):
        epochs = sorted(set(frame["epoch"].astype(str)))
        if epochs != [str(epoch)]:
            raise MinescanInputError(
                path,
                f"holds footprints of epochs {epochs}, read as the footprints of {epoch!r}",
                "give each growth epoch the footprints file of its own date window",
            )
    return frame.to_crs(4326)


def read_statuses(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The tile status rows of one window's shards together."""
    frames = [pd.read_csv(path, dtype={"cell_id": str}) for path in paths]
    return pd.concat(frames, ignore_index=True)


def measure_growth_step(
    *,
    cells: str,
    polygons: str,
    footprints: Sequence[str],
    statuses: Mapping[str, Sequence[str]],
    windows: Sequence[Mapping[str, str]],
    new_site_distance_m: float,
    region: str,
    imagery: str,
    outputs: Mapping[str, str],
) -> pd.DataFrame:
    """Mine area per window, changes between consecutive windows (per cell, country, region),
    new sites, and the evaluation against the dated polygons; returns the change table."""
    spans = [Window(**w) for w in windows]
    epochs = [w.epoch for w in spans]
    table = gpd.read_parquet(cells)
    seen = observations(table, {e: read_statuses(statuses[e]) for e in epochs})
    measured = {
        e: mine_geometries(read_footprints(path, e), table)
        for e, path in zip(epochs, footprints, strict=True)
    }
    per_cell, sites = cell_changes(measured, seen, epochs, new_site_distance_m, table)
    areas = area_table(cell_areas(measured, seen), table, region)
    changes = change_table(per_cell, table, region)
    truth = true_geometries(gpd.read_parquet(polygons), table, spans)
    evaluation, summary = evaluate_growth(measured, truth, seen, table, spans, imagery)
    for row in evaluation.itertuples():
        log.info(
            "%s -> %s: new area measured %.3f km2, true %.3f km2 (%+.1f %%), %s",
            row.from_epoch,
            row.to_epoch,
            row.measured_new_m2 / 1e6,
            row.true_new_m2 / 1e6,
            row.new_error_pct,
            imagery,
        )
    params: dict[str, Any] = {
        "windows": [dict(w) for w in windows],
        "new_site_distance_m": float(new_site_distance_m),
        "region": region,
        "imagery": imagery,
    }
    inputs = {"cells": cells, "polygons": polygons}
    inputs.update({f"footprints_{e}": p for e, p in zip(epochs, footprints, strict=True)})
    record = provenance(params, inputs)
    cell_level = changes[changes["level"] == "cell"].rename(columns={"key": "cell_id"})
    geometry = table[["cell_id", "name", "country", "geometry"]].astype({"cell_id": str})
    mapped = gpd.GeoDataFrame(
        geometry.merge(cell_level.drop(columns="level"), on="cell_id"), geometry="geometry"
    )
    span = gpd.GeoDataFrame(geometry.merge(span_totals(changes), on="cell_id"), crs=table.crs)
    write_csv(areas, outputs["areas"])
    write_csv(changes, outputs["changes"])
    write_geoparquet(mapped, outputs["cells"], record)
    write_geoparquet(sites, outputs["new_sites"], record)
    layers = {"cell_changes": mapped, "span": span, "new_sites": sites}
    write_gpkg_layers({k: v for k, v in layers.items() if len(v)}, outputs["gpkg"])
    write_csv(evaluation, outputs["evaluation"])
    write_json(summary, outputs["summary"], record)
    return changes


__all__ = ["measure_growth_step", "read_footprints", "read_statuses"]
