"""The one interface all imagery backends implement."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from minescan.cells import Cell
from minescan.imagery.tile import CellImage


class Backend(Protocol):
    name: str
    bands: tuple[str, ...]
    simulated: bool
    concurrency: int
    """How many cells may be fetched at once (threads; remote backends bound their requests)."""

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        """The cell's composite; raise CellSkipped when the cell has no usable imagery.

        ``mine`` is the cell's rasterized polygons (only the synthetic backend looks at it).
        """
        ...

    def describe(self) -> dict[str, str]:
        """Provenance tags for every tile of this backend (no credentials)."""
        ...


def check_cost(backend: object, cells: list) -> None:
    """Let a backend refuse a shard's cells before any request (``check_cost(cells)``: the
    Earth Engine backend's estimate of their compute against its budget)."""
    hook = getattr(backend, "check_cost", None)
    if hook is not None:
        hook(cells)


def prepare(backend: object) -> None:
    """Run a backend's one-off set-up (``prepare()``: Earth Engine's initialisation) before the
    first cell, outside the per-cell error handling: a failure there fails the job at once with
    its reason, instead of failing every cell in turn."""
    setup = getattr(backend, "prepare", None)
    if setup is not None:
        setup()


def plan(backend: object, cells: list) -> None:
    """Let a backend see a shard's cells before it fetches them (``plan(cells)``: the STAC
    backend searches once for all of them)."""
    hook = getattr(backend, "plan", None)
    if hook is not None:
        hook(cells)
