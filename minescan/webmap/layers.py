"""Vector layers of the web map: one spec per layer (name, file, popup columns, style), read
into WGS 84 and written beside the page as a script (small layers) or FlatGeobuf (large ones).

A page opened over ``file://`` cannot fetch a file beside it, but it can load a
``<script src>``: small layers are GeoJSON wrapped in a script. Above ``inline_max_bytes`` the
GeoJSON text would take long to parse and hold the page, so the layer goes out as FlatGeobuf,
which the page streams when the folder is served over HTTP.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from minescan.atomic import atomic_path

log = logging.getLogger(__name__)

# 1e-6 degrees is about 0.1 m: finer than any cell edge needs, and a third of the text.
COORDINATE_PRECISION = 1e-6
# Measured in headless Chromium (README, "The map and the report"): up to this size a layer
# parses and draws in well under a second; above it the page goes FlatGeobuf.
INLINE_MAX_BYTES = 3_000_000


@dataclass(frozen=True)
class LayerSpec:
    """One switchable layer. ``style`` holds Leaflet path options; ``colour_by`` names a column
    whose values pick a colour from ``colours`` (the legend lists them)."""

    key: str
    title: str
    path: str
    popup: Sequence[str]
    style: Mapping[str, Any] = field(default_factory=dict)
    group: str = ""
    colour_by: str | None = None
    colours: Mapping[str, str] = field(default_factory=dict)
    query: str | None = None
    layer: str | None = None
    dissolve: bool = False
    visible: bool = True
    # Popup links: column -> a pattern formatted with the row's values, relative to the page.
    links: Mapping[str, str] = field(default_factory=dict)
    # For a per-cell table without geometry (growth): the cells table whose shapes it takes.
    cells: str | None = None
    # Douglas-Peucker tolerance in metres, applied in the layer's UTM zone (0: as written).
    simplify_m: float = 0.0

    def to_manifest(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "group": self.group,
            "popup": [*self.popup, *self.links],
            "links": list(self.links),
            "style": dict(self.style),
            "colour_by": self.colour_by,
            "colours": dict(self.colours),
            "visible": self.visible,
        }


def _read_frame(spec: LayerSpec) -> gpd.GeoDataFrame:
    path = Path(spec.path)
    if path.suffix != ".parquet":
        return gpd.read_file(path, layer=spec.layer)
    if spec.cells is None:
        return gpd.read_parquet(path)
    table = pd.read_parquet(path)
    shapes = gpd.read_parquet(spec.cells, columns=["cell_id", "name", "geometry"])
    extra = [c for c in table.columns if c not in ("name", "geometry")]
    return shapes.merge(table[extra], on="cell_id", how="inner")


def read_layer(
    spec: LayerSpec, joins: Mapping[str, pd.DataFrame] | None = None
) -> gpd.GeoDataFrame:
    """The layer's rows in WGS 84 with its popup and colour columns (missing ones left out),
    after the spec's query and an optional join of per-cell tables on ``cell_id``."""
    frame = _read_frame(spec)
    for table in (joins or {}).values():
        extra = [c for c in table.columns if c != "cell_id" and c not in frame.columns]
        frame = frame.merge(table[["cell_id", *extra]], on="cell_id", how="left")
    if spec.query:
        frame = frame.query(spec.query)
    if spec.simplify_m > 0 and len(frame):
        frame = simplified(frame, spec.simplify_m)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    if spec.dissolve:
        frame = gpd.GeoDataFrame(
            {"cells": [len(frame)]}, geometry=[frame.union_all()], crs=frame.crs
        )
    for column, pattern in spec.links.items():
        frame[column] = [pattern.format(**row) for row in frame.to_dict("records")]
    # Popup entries may be patterns: "area_m2_*" is the area of every epoch present.
    popup = [c for pattern in spec.popup for c in fnmatch.filter(frame.columns, pattern)]
    keep = list(dict.fromkeys([*popup, *spec.links, *([spec.colour_by] if spec.colour_by else [])]))
    keep = [c for c in keep if c in frame.columns and c != "geometry"]
    frame = gpd.GeoDataFrame(frame[keep], geometry=frame.geometry.values, crs=4326)
    frame = frame.reset_index(drop=True)
    frame["geometry"] = shapely.set_precision(frame.geometry.values, COORDINATE_PRECISION)
    return frame


def simplified(frame: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """``frame`` with its shapes simplified by ``tolerance_m`` metres in its UTM zone, topology
    kept. Pixel-edged footprints carry a vertex per pixel step; a pixel's tolerance removes the
    staircase (most of the bytes) and moves no edge by more than the data resolves."""
    crs = frame.crs
    metric = frame.to_crs(frame.estimate_utm_crs()) if crs is None or crs.is_geographic else frame
    shapes = shapely.simplify(metric.geometry.values, tolerance_m, preserve_topology=True)
    out = metric.set_geometry(gpd.GeoSeries(shapes, index=metric.index, crs=metric.crs))
    return out.to_crs(crs) if crs is not None else out


def _plain(value: Any) -> Any:
    """A JSON value for a table cell: numbers rounded for the popup, NaN as null."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def geojson_text(frame: gpd.GeoDataFrame) -> str:
    """The layer as compact GeoJSON text (geometries serialised by GEOS, in one call)."""
    columns = [c for c in frame.columns if c != "geometry"]
    geometries = shapely.to_geojson(frame.geometry.values).tolist()
    rows = frame[columns].itertuples(index=False, name=None)
    features = []
    for row, geometry in zip(rows, geometries, strict=True):
        properties = json.dumps({c: _plain(v) for c, v in zip(columns, row, strict=True)})
        features.append(f'{{"type":"Feature","properties":{properties},"geometry":{geometry}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def write_layer(
    frame: gpd.GeoDataFrame,
    spec: LayerSpec,
    folder: str | Path,
    inline_max_bytes: int = INLINE_MAX_BYTES,
) -> dict[str, Any]:
    """Write one layer into ``folder``; return its manifest entry (format, file, count)."""
    folder = Path(folder)
    text = geojson_text(frame)
    entry = {**spec.to_manifest(), "count": len(frame)}
    entry["popup"] = [c for c in frame.columns if c != "geometry"]
    if len(text) <= inline_max_bytes:
        out = folder / f"{spec.key}.js"
        with atomic_path(out) as tmp:
            Path(tmp).write_text(f"MINESCAN_DATA[{json.dumps(spec.key)}] = {text};\n")
        entry.update(format="script", src=f"layers/{out.name}", bytes=out.stat().st_size)
    else:
        out = folder / f"{spec.key}.fgb"
        with atomic_path(out) as tmp:
            frame.to_file(tmp, driver="FlatGeobuf", SPATIAL_INDEX="YES")
        entry.update(format="fgb", src=f"layers/{out.name}", bytes=out.stat().st_size)
    log.info(
        "layer %s: %d features, %s, %d bytes", spec.key, len(frame), entry["format"], entry["bytes"]
    )
    return entry
