"""Checks of the configuration that a JSON schema cannot express (relations between keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minescan.errors import MinescanInputError

SOURCE = "config"


def zoom_cell_sizes(grid: Mapping[str, Any]) -> dict[int, int]:
    """Cell side in metres for each zoom level: halved at every level, four children a parent."""
    zooms = [int(z) for z in grid["zoom_levels"]]
    first = zooms[0]
    return {z: int(grid["cell_size_m"]) >> (z - first) for z in zooms}


def check_grid(grid: Mapping[str, Any]) -> None:
    zooms = [int(z) for z in grid["zoom_levels"]]
    if zooms != list(range(zooms[0], zooms[0] + len(zooms))):
        raise MinescanInputError(
            SOURCE,
            f"grid.zoom_levels {zooms} are not consecutive and increasing",
            "list consecutive levels, coarsest first, e.g. [14, 15, 16]",
        )
    pixel = int(grid.get("pixel_size_m", 10))
    size = int(grid["cell_size_m"])
    for z in zooms:
        side = size / 2 ** (z - zooms[0])
        if side != int(side) or int(side) % pixel:
            raise MinescanInputError(
                SOURCE,
                f"grid.cell_size_m {size} gives {side:g} m cells at zoom {z}, "
                f"not a multiple of grid.pixel_size_m {pixel}",
                "choose cell_size_m = pixel_size_m * 2**k * n, e.g. 5120 for 10 m pixels "
                "(the seed's 5500 m does not divide into 10 m pixels)",
            )
    block = int(grid.get("shard_block_m", 327680))
    if block % size:
        raise MinescanInputError(
            SOURCE,
            f"grid.shard_block_m {block} is not a multiple of grid.cell_size_m {size}",
            f"use a multiple such as {size * 64}",
        )


def check_config(config: Mapping[str, Any]) -> None:
    """Raise MinescanInputError naming the key when values are inconsistent with each other."""
    check_grid(config["grid"])
    scan = config.get("scan") or {}
    if scan.get("region") is not None and int(scan["zoom"]) not in config["grid"]["zoom_levels"]:
        raise MinescanInputError(
            SOURCE,
            f"scan.zoom {scan['zoom']} is not one of grid.zoom_levels "
            f"{config['grid']['zoom_levels']}",
            "pick a configured zoom level",
        )
