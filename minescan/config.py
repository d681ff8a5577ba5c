"""Checks of the configuration that a JSON schema cannot express (relations between keys)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
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
    zooms = [int(z) for z in config["grid"]["zoom_levels"]]
    imagery = config.get("imagery") or {}
    epochs = imagery.get("epochs") or {}
    if "epoch" in imagery and imagery["epoch"] not in epochs:
        raise MinescanInputError(
            SOURCE,
            f"imagery.epoch {imagery['epoch']!r} is not a key of imagery.epochs {sorted(epochs)}",
            "name one of the configured date windows",
        )
    for name, (start, end) in epochs.items():
        for day in (start, end):
            _check_date(day, f"imagery.epochs.{name}")
        if not start < end:
            raise MinescanInputError(
                SOURCE,
                f"imagery.epochs.{name} starts on {start}, not before its end {end}",
                "give [start (inclusive), end (exclusive)]",
            )
    models_zoom = (config.get("models") or {}).get("zoom")
    if models_zoom is not None and int(models_zoom) not in zooms:
        raise MinescanInputError(
            SOURCE,
            f"models.zoom {models_zoom} is not one of grid.zoom_levels {zooms}",
            "pick a configured zoom level, or null for the finest",
        )
    fractions = ((config.get("models") or {}).get("split") or {}).get("fractions")
    if fractions is not None and abs(sum(float(f) for f in fractions) - 1) > 1e-6:
        raise MinescanInputError(
            SOURCE,
            f"models.split.fractions {list(fractions)} sum to {sum(float(f) for f in fractions):g}"
            ", not 1",
            "give the shares of training, validation and test cells summing to 1, "
            "e.g. [0.6, 0.2, 0.2]",
        )
    detection = config.get("detection") or {}
    unknown = sorted(set(detection.get("zooms") or []) - set(zooms))
    if unknown:
        raise MinescanInputError(
            SOURCE,
            f"detection.zooms {unknown} are not grid.zoom_levels {zooms}",
            "pick configured zoom levels, or null for all of them",
        )
    check_detection(detection)
    check_footprints(config.get("footprints") or {}, epochs)


def _check_date(day: str, key: str) -> None:
    """The schema checks the form YYYY-MM-DD; this, that it is a day of the calendar."""
    try:
        dt.date.fromisoformat(day)
    except ValueError as error:
        raise MinescanInputError(
            SOURCE, f"{key}: {day!r} is not a date ({error})", 'give "YYYY-MM-DD", quoted'
        ) from None


def check_detection(detection: Mapping[str, Any]) -> None:
    """The detection section: local weights and labelled folders exist before any job runs."""
    weights = detection.get("weights")
    if weights and not Path(weights).is_file():
        raise MinescanInputError(
            SOURCE,
            f"detection.weights {weights} does not exist",
            "give the path of a local .pt file, or null to train from detection.model",
        )
    for name, folder in (detection.get("labelled") or {}).items():
        if not (Path(folder) / "tiles.csv").is_file():
            raise MinescanInputError(
                SOURCE,
                f"detection.labelled.{name}: {folder} has no tiles.csv",
                "give a folder in the layout of brazil_tailings (tiles.csv, images/, masks/)",
            )


def check_footprints(footprints: Mapping[str, Any], epochs: Mapping[str, Any]) -> None:
    """The footprints section: epochs that exist, a deployed architecture that is trained,
    labelled folders and local encoder weights that exist."""
    if not footprints.get("enabled", False):
        return
    unknown = sorted(set(footprints.get("predict", {}).get("epochs") or []) - set(epochs))
    if unknown:
        raise MinescanInputError(
            SOURCE,
            f"footprints.predict.epochs {unknown} are not keys of imagery.epochs {sorted(epochs)}",
            "name configured date windows, or null for imagery.epoch",
        )
    archs = list(footprints.get("architectures") or [])
    if footprints.get("deploy") not in archs:
        raise MinescanInputError(
            SOURCE,
            f"footprints.deploy {footprints.get('deploy')!r} is not in footprints.architectures "
            f"{archs}",
            "deploy one of the trained architectures",
        )
    weights = footprints.get("encoder_weights")
    if weights and not Path(weights).is_file():
        raise MinescanInputError(
            SOURCE,
            f"footprints.encoder_weights {weights} does not exist",
            "give a local encoder state dict file, or null to train from scratch",
        )
    for name, folder in (footprints.get("labelled") or {}).items():
        if not (Path(folder) / "tiles.csv").is_file():
            raise MinescanInputError(
                SOURCE,
                f"footprints.labelled.{name}: {folder} has no tiles.csv",
                "give a folder in the layout of brazil_tailings (tiles.csv, images/, masks/)",
            )


def canonical(value: Any) -> Any:
    """``value`` with every mapping's keys sorted, recursively.

    Snakemake compares params by their ``repr``; sorting makes a rewritten config with the
    same values in another key order compare equal, so it reruns nothing.
    """
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value
