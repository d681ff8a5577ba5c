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
