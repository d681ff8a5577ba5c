"""What the web map's layers show: popup columns and colours shared by the layer lines in
``workflow/rules/common.smk`` (``MAP_LAYERS``), so that a new layer is one line there."""

from __future__ import annotations

from typing import Any

CELL_POPUP = (
    "name",
    "label",
    "overlap_fraction",
    "country",
    "climate",
    "utm_zone",
    "zoom",
    "cell_id",
    "shard",
    "mean_probability",
    "max_probability",
    "detected_fraction",
)
LEVEL_POPUP = (
    "name",
    "zoom",
    "kept",
    "screen_score",
    "threshold",
    "overlap_fraction",
    "country",
    "climate",
    "cell_id",
)
DETECTION_POPUP = ("score", "class_name", "cell_id", "zoom", "model_id")
POLYGON_POPUP = ("polygon_id", "country", "area_km2")
FOOTPRINT_POPUP = ("footprint_id", "cell_id", "zoom", "epoch", "area_m2", "mean_probability")
GROWTH_POPUP = ("cell_id", "name", "country", "new_m2", "lost_m2", "new_sites")

LABEL_COLOURS = {"positive": "#d32f2f", "negative": "#1976d2"}
KEPT_COLOURS = {"true": "#2e7d32", "false": "#9e9e9e"}

REGION_STYLE = {"color": "#000000", "weight": 2, "fill": False, "dashArray": "6 4"}
POLYGON_STYLE = {"color": "#000000", "weight": 1, "fillColor": "#ffeb3b", "fillOpacity": 0.35}
CELL_STYLE = {"weight": 1.5, "fillOpacity": 0.05}
LEVEL_STYLE = {"weight": 1, "fillOpacity": 0.2}
DETECTION_STYLE = {"color": "#ff6f00", "weight": 2, "fillOpacity": 0.05}
# Footprints are drawn simplified by one pixel of their imagery (10 m on the grid, 80 m at a
# z13 pyramid level): that removes the pixel staircase of their edges (most of the map's bytes)
# and moves no edge by more than the data resolves (tests/unit/webmap/test_webmap_build.py).
FOOTPRINT_SIMPLIFY_PIXELS = 1.0
FOOTPRINT_STYLE = {"color": "#6a1b9a", "weight": 1, "fillColor": "#ab47bc", "fillOpacity": 0.5}
GROWTH_STYLE = {"color": "#00838f", "weight": 1, "fillOpacity": 0.25}


def layer(
    key: str, title: str, path: str, popup: tuple[str, ...], style: dict, **options: Any
) -> dict[str, Any]:
    """One layer line: what ``minescan.webmap.layers.LayerSpec`` takes, as plain values (rule
    params)."""
    return {"key": key, "title": title, "path": path, "popup": popup, "style": style, **options}
