"""The web map's rule steps: plain functions the workflow scripts call with keyword arguments."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minescan.atomic import atomic_path  # noqa: E402
from minescan.webmap.basemap import basemap_frames  # noqa: E402
from minescan.webmap.browser import BrowserUnavailable, map_screenshot  # noqa: E402
from minescan.webmap.layers import LayerSpec, read_layer  # noqa: E402
from minescan.webmap.page import build_map, folder_bytes, read_manifest  # noqa: E402

log = logging.getLogger(__name__)


def layer_specs(layers: Sequence[Mapping[str, Any]]) -> tuple[list[LayerSpec], dict]:
    """Layer lines (rule params) as specs, and the per-cell tables each one joins."""
    specs, joins = [], {}
    for line in layers:
        options = {k: v for k, v in line.items() if k != "joins"}
        options["popup"] = tuple(options["popup"])
        specs.append(LayerSpec(**options))
        joins[line["key"]] = list(line.get("joins", []))
    return specs, joins


def map_page_step(
    page: str,
    layers: Sequence[Mapping[str, Any]],
    previews: Sequence[Mapping[str, Any]],
    preview_folders: Mapping[str, Sequence[str]],
    title: str,
    subtitle: str,
    simulated: bool,
    thumb_px: int,
    inline_max_mb: float,
    regions: Sequence[Mapping[str, Any]] = (),
) -> None:
    specs, joins = layer_specs(layers)
    groups = [{**group, "folders": preview_folders[group["key"]]} for group in previews]
    build_map(
        page,
        specs,
        previews=groups,
        joins=joins,
        title=title,
        subtitle=subtitle,
        simulated=simulated,
        thumb_px=thumb_px,
        inline_max_bytes=int(inline_max_mb * 1e6),
        regions=regions,
    )
    log.info("map folder: %.1f MB", folder_bytes(Path(page).parent) / 1e6)


def drawing_of_layers(
    layers: Sequence[Mapping[str, Any]],
    out: str | Path,
    note: str,
    bounds: Sequence[Sequence[float]] | None = None,
) -> None:
    """Where no browser runs: the map's visible layers drawn with matplotlib over the offline
    basemap, on the page's first view (``bounds``, [[south, west], [north, east]]), and why."""
    specs, _ = layer_specs(layers)
    figure, axes = plt.subplots(figsize=(10, 8))
    axes.set_facecolor("#d4e4ef")  # the page's sea and land colours (map.css, map.js)
    base = basemap_frames()
    base["countries"].plot(ax=axes, facecolor="#f1eee6", edgecolor="#8d6e63", linewidth=0.6)
    base["lakes"].plot(ax=axes, facecolor="#b9d3e8", edgecolor="none")
    base["rivers"].plot(ax=axes, color="#6f9fd1", linewidth=0.8)
    for spec in specs:
        if not spec.visible:
            continue
        frame: gpd.GeoDataFrame = read_layer(spec)
        colour = spec.style.get("color", "black")
        if spec.colour_by and spec.colour_by in frame:
            for value, part in frame.groupby(frame[spec.colour_by].astype(str).str.lower()):
                part.boundary.plot(ax=axes, color=spec.colours.get(value, colour), linewidth=0.8)
        else:
            frame.boundary.plot(ax=axes, color=colour, linewidth=1)
    if bounds is not None:
        (south, west), (north, east) = bounds
        pad_x, pad_y = (east - west) * 0.05 or 0.01, (north - south) * 0.05 or 0.01
        axes.set_xlim(west - pad_x, east + pad_x)
        axes.set_ylim(south - pad_y, north + pad_y)
    axes.set_title(f"The web map's first view ({note})")
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    with atomic_path(out) as tmp:
        figure.savefig(tmp, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)


def map_screenshot_step(page: str, out: str, layers: Sequence[Mapping[str, Any]]) -> None:
    """The page in headless Chromium; a matplotlib drawing where none can run."""
    try:
        with atomic_path(out) as tmp:
            map_screenshot(page, tmp)
        log.info("screenshot of %s in headless Chromium", page)
    except BrowserUnavailable as reason:
        log.warning("no browser (%s): drawing the layers with matplotlib instead", reason)
        bounds = read_manifest(page)["bounds"]
        drawing_of_layers(layers, out, note=f"drawn without a browser: {reason}", bounds=bounds)
