"""Outcomes of fetching one cell that are not a tile."""

from __future__ import annotations


class CellSkipped(Exception):
    """The cell gets no tile for a reason recorded in the shard's status table.

    ``status`` is one of ``not_covered`` (no imagery over the cell), ``cloudy`` (imagery, but
    every observation masked) or ``no_data`` (imagery, but too few valid pixels).
    """

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ImageryServiceError(RuntimeError):
    """A remote imagery service (Earth Engine, a STAC API) failed after all retries."""


class ShardFailed(RuntimeError):
    """More cells of a shard failed than ``imagery.max_failed_fraction`` allows."""
