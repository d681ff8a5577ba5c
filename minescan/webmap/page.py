"""The web map's folder: ``index.html``, the layers beside it, thumbnails, and the vendored
JavaScript, so that the page works offline, opened straight from disk.

    map/index.html
    map/layers/index.js      the manifest: layers, styles, previews, bounds
    map/layers/<key>.js|fgb  one file per vector layer
    map/previews/*.webp      georeferenced thumbnails
    map/lib/                 Leaflet, FlatGeobuf (only when a layer needs it), map.js, map.css,
                             the offline basemap (lib/basemap, Natural Earth) and topojson-client

The page opens on the first of ``regions`` that has data (the scan region in the demo), and
offers a button per region to jump between them.
"""

from __future__ import annotations

import fnmatch
import html
import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from minescan.atomic import atomic_path
from minescan.webmap.basemap import place_name, write_basemap
from minescan.webmap.layers import INLINE_MAX_BYTES, LayerSpec, read_layer, write_layer
from minescan.webmap.thumbnails import write_thumbnails

log = logging.getLogger(__name__)
PACKAGE = resources.files("minescan.webmap")


def _copy_tree(source, target: Path) -> None:
    """Copy a package resource folder (a Traversable: works from a wheel too)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name.endswith(".md"):
            continue
        if item.is_dir():
            _copy_tree(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())


def write_lib(folder: Path, flatgeobuf: bool) -> list[str]:
    """The page's JavaScript and styles; the extra script tags it needs."""
    _copy_tree(PACKAGE / "vendor" / "leaflet", folder / "leaflet")
    for name in ("map.js", "map.css"):
        (folder / name).write_bytes((PACKAGE / "static" / name).read_bytes())
    scripts = write_basemap(folder)
    if not flatgeobuf:
        return scripts
    _copy_tree(PACKAGE / "vendor" / "flatgeobuf", folder / "flatgeobuf")
    return [*scripts, "lib/flatgeobuf/flatgeobuf-geojson.min.js"]


def layer_bounds(entries: Sequence[Mapping[str, Any]]) -> list[list[float]]:
    """South-west and north-east corners around every layer (the page's first view)."""
    boxes = [entry["bbox"] for entry in entries if entry.get("bbox")]
    if not boxes:
        return [[-60.0, -180.0], [75.0, 180.0]]
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return [[south, west], [north, east]]


def map_regions(
    entries: Sequence[Mapping[str, Any]], regions: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The places the page can jump to, in the order given: each region (``{name, layers}``,
    layer keys or patterns) around the layers of it that have features, named with the
    countries it lies in; then every layer together. Regions without features are left out."""
    out = []
    for region in regions:
        chosen = [e for e in entries if any(fnmatch.fnmatch(e["key"], p) for p in region["layers"])]
        if not any(e.get("bbox") for e in chosen):
            continue
        bounds = layer_bounds(chosen)
        (south, west), (north, east) = bounds
        where = place_name([west, south, east, north])
        name = f"{region['name']}, {where}" if where else region["name"]
        out.append({"name": name, "bounds": bounds, "layers": [e["key"] for e in chosen]})
    everything = layer_bounds(entries)
    if not out or all(r["bounds"] != everything for r in out):
        out.append({"name": "All results", "bounds": everything, "layers": []})
    return out


def build_map(
    page: str | Path,
    layers: Sequence[LayerSpec],
    previews: Sequence[Mapping[str, Any]] = (),
    joins: Mapping[str, Sequence[str]] | None = None,
    title: str = "minescan",
    subtitle: str = "",
    simulated: bool = False,
    thumb_px: int = 128,
    inline_max_bytes: int = INLINE_MAX_BYTES,
    regions: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Write the map's page and folder beside ``page``; return the manifest.

    ``previews``: overlay groups, each ``{key, title, cells (a cells table path), folders
    (preview folders), visible}``. ``joins``: per layer key, per-cell tables merged into it.
    ``regions``: the places to jump between (``map_regions``); the first with data is the
    first view (without any, every layer).
    """
    page = Path(page)
    root = page.parent
    entries = []
    for spec in layers:
        tables = {path: pd.read_parquet(path) for path in (joins or {}).get(spec.key, [])}
        frame = read_layer(spec, tables)
        entry = write_layer(frame, spec, root / "layers", inline_max_bytes)
        entry["bbox"] = [float(v) for v in frame.total_bounds] if len(frame) else None
        entries.append(entry)
    groups = []
    for group in previews:
        cells = pd.read_parquet(group["cells"], columns=None)
        images = write_thumbnails(
            cells, group["folders"], root / "previews", thumb_px, prefix="previews"
        )
        groups.append(
            {
                "key": group["key"],
                "title": group["title"],
                "visible": bool(group.get("visible", False)),
                "images": images,
            }
        )
    places = map_regions(entries, regions)
    manifest = {
        "title": title,
        "simulated": simulated,
        "layers": entries,
        "previews": groups,
        "regions": places,
        "bounds": places[0]["bounds"],
    }
    with atomic_path(root / "layers" / "index.js") as tmp:
        tmp.write_text(f"window.MINESCAN_MAP = {json.dumps(manifest, indent=1)};\n")
    extra = write_lib(root / "lib", any(e["format"] == "fgb" for e in entries))
    scripts = [f'<script src="{e["src"]}"></script>' for e in entries if e["format"] == "script"]
    badge = '<span class="simulated">SIMULATED imagery</span>' if simulated else ""
    text = (
        (PACKAGE / "static" / "index.html")
        .read_text()
        .format(
            title=html.escape(title),
            subtitle=html.escape(subtitle),
            badge=badge,
            layer_scripts="\n".join(scripts),
            extra_scripts="\n".join(f'<script src="{src}"></script>' for src in extra),
        )
    )
    with atomic_path(page) as tmp:
        tmp.write_text(text)
    log.info("map: %d layers, %d preview groups in %s", len(entries), len(groups), root)
    return manifest


def read_manifest(page: str | Path) -> dict[str, Any]:
    """The manifest a built page carries (``layers/index.js`` beside it)."""
    text = (Path(page).parent / "layers" / "index.js").read_text()
    return json.loads(text[text.index("=") + 1 :].strip().rstrip(";"))


def folder_bytes(folder: str | Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def clear(folder: str | Path) -> None:
    """Remove what an earlier build left (Snakemake removes only declared outputs)."""
    shutil.rmtree(folder, ignore_errors=True)
