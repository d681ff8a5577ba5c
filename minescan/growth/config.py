"""Checks of the growth section that a JSON schema cannot express, before any job runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minescan.errors import MinescanInputError
from minescan.polygons.dated import check_date_column

SOURCE = "config"


@dataclass(frozen=True)
class Window:
    """A named date window: ``start`` inclusive, ``end`` exclusive (ISO dates)."""

    epoch: str
    start: str
    end: str


def growth_windows(epochs: Sequence[str], imagery_epochs: Mapping[str, Sequence[str]]) -> list:
    """The growth epochs' date windows in time order; each must be a key of ``imagery.epochs``,
    run forwards and overlap no other."""
    unknown = [str(e) for e in epochs if str(e) not in imagery_epochs]
    if unknown:
        raise MinescanInputError(
            SOURCE,
            f"growth.epochs {unknown} are not keys of imagery.epochs {sorted(imagery_epochs)}",
            "add each date window to imagery.epochs as NAME: [start, end], or name one there",
        )
    if len(set(map(str, epochs))) < 2:
        raise MinescanInputError(
            SOURCE,
            f"growth.epochs {list(epochs)} name fewer than two different date windows",
            "list two or more keys of imagery.epochs, e.g. ['2019', '2023']",
        )
    windows = []
    for epoch in map(str, epochs):
        start, end = (str(d) for d in imagery_epochs[epoch])
        if not start < end:
            raise MinescanInputError(
                SOURCE,
                f"imagery.epochs.{epoch} (a growth epoch) runs from {start} back to {end}",
                "give [start (inclusive), end (exclusive)] with start before end",
            )
        windows.append(Window(epoch, start, end))
    windows.sort(key=lambda w: w.start)
    for earlier, later in zip(windows, windows[1:], strict=False):
        if later.start < earlier.end:
            raise MinescanInputError(
                SOURCE,
                f"growth.epochs {earlier.epoch} [{earlier.start}, {earlier.end}) and "
                f"{later.epoch} [{later.start}, {later.end}) overlap",
                "growth compares separate date windows: make each end on or before the next "
                "one's start in imagery.epochs",
            )
    return windows


def check_growth(growth: Mapping[str, Any], imagery: Mapping[str, Any], zooms: Sequence[int]):
    """The growth section is consistent with the imagery and grid sections; its windows."""
    if not growth.get("enabled", False):
        return []
    windows = growth_windows(growth["epochs"], imagery.get("epochs") or {})
    distance = float(growth["new_site_distance_m"])
    if not distance >= 0:
        raise MinescanInputError(
            SOURCE,
            f"growth.new_site_distance_m is {growth['new_site_distance_m']}, below 0",
            "give the distance in metres (0 or more) within which an earlier footprint makes a "
            "later one the same site, e.g. 100",
        )
    if int(growth["zoom"]) not in set(map(int, zooms)):
        raise MinescanInputError(
            SOURCE,
            f"growth.zoom {growth['zoom']} is not a zoom level of the grid {sorted(zooms)}",
            "pick one of grid.zoom_levels (or of pyramid.levels)",
        )
    check_date_column(
        growth["polygons"], growth.get("date_column"), growth.get("layer"), "growth.date_column"
    )
    return windows


__all__ = ["Window", "check_growth", "growth_windows"]
