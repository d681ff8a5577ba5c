"""An estimate of the Earth Engine compute (EECU-hours) a run's tiles take, and a guard.

Nothing in minescan can measure EECU before a run: Earth Engine reports it only afterwards, in
Cloud Monitoring. The estimate is therefore a model with one coefficient a user calibrates:

    EECU-seconds of a cell = coefficient x values / 1e6  (x the high-volume factor)
    values = 10 m pixels of the cell x (bands + the Cloud Score+ band) x images in the window

Every cell is composited at 10 m, whatever its pixel size (coarser cells are averaged from the
10 m composite, ``gee_request.aggregate_clear``), so an 80 m pyramid cell costs what its area
costs at 10 m. The images are the Sentinel-2 acquisitions the window holds at a 5-day revisit,
before the scene cloud filter drops any (so it runs high where scenes are cloudy). Earth Engine
documents that the high-volume endpoint caches less, so that "complex queries typically require
more EECU-time" there, without a figure: the factor is an assumption too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError
from minescan.imagery.backends.gee_request import COMPOSITE_PIXEL_M

REVISIT_DAYS = 5  # Sentinel-2A and 2B together, at the equator
GUARD_KEY = "imagery.gee.max_eecu_hours"
COEFFICIENT_KEY = "imagery.gee.eecu_seconds_per_million_values"


def images_in_window(dates: Sequence[str]) -> int:
    """Sentinel-2 acquisitions over a place in ``dates`` (start inclusive, end exclusive)."""
    days = (date.fromisoformat(str(dates[1])) - date.fromisoformat(str(dates[0]))).days
    return max(1, math.ceil(days / REVISIT_DAYS))


@dataclass(frozen=True)
class CostModel:
    """What one value of a composite costs, and what a cell holds of them."""

    seconds_per_million_values: float
    bands: int
    images: int
    high_volume: bool = True
    high_volume_factor: float = 1.0

    @classmethod
    def from_imagery(cls, imagery: Mapping[str, Any], dates: Sequence[str]) -> CostModel | None:
        """The model of the configured gee options, or None without a coefficient."""
        options = imagery.get("gee") or {}
        coefficient = options.get("eecu_seconds_per_million_values")
        if coefficient is None:
            return None
        return cls(
            seconds_per_million_values=float(coefficient),
            bands=len(imagery["bands"]),
            images=images_in_window(dates),
            high_volume=bool(options.get("high_volume", True)),
            high_volume_factor=float(options.get("high_volume_cost_factor", 1.0)),
        )

    @property
    def endpoint(self) -> str:
        return "high-volume" if self.high_volume else "standard"

    def eecu_seconds(self, pixels_10m: float) -> float:
        """EECU-seconds of composites over ``pixels_10m`` pixels of 10 m."""
        values = pixels_10m * (self.bands + 1) * self.images  # + Cloud Score+ cs_cdf
        factor = self.high_volume_factor if self.high_volume else 1.0
        return self.seconds_per_million_values * values / 1e6 * factor


@dataclass(frozen=True)
class LevelEstimate:
    """The estimate of one level of a run (a cell set, epoch and zoom)."""

    name: str
    cells: int
    pixels_10m: float
    eecu_hours: float
    model: CostModel

    @property
    def per_1000_cells(self) -> float:
        return 1000 * self.eecu_hours / self.cells if self.cells else 0.0

    def describe(self) -> str:
        side = math.sqrt(self.pixels_10m / self.cells) if self.cells else 0
        return (
            f"{self.name}: {self.cells:,} cells of about {side:,.0f} x {side:,.0f} px at 10 m, "
            f"{self.model.bands} bands + Cloud Score+, {self.model.images} images: "
            f"{self.eecu_hours:,.2f} EECU-hours ({self.per_1000_cells:,.2f} per 1,000 cells, "
            f"{self.model.endpoint} endpoint)"
        )


def cell_pixels(xmin: Iterable, ymin: Iterable, xmax: Iterable, ymax: Iterable) -> np.ndarray:
    """10 m pixels of each cell from its bounds in metres (its UTM CRS)."""
    width = np.asarray(list(xmax), float) - np.asarray(list(xmin), float)
    height = np.asarray(list(ymax), float) - np.asarray(list(ymin), float)
    return np.ceil(width / COMPOSITE_PIXEL_M) * np.ceil(height / COMPOSITE_PIXEL_M)


def estimate_level(name: str, pixels_10m: Sequence[float], model: CostModel) -> LevelEstimate:
    """The estimate of cells with ``pixels_10m`` pixels each."""
    total = float(np.sum(pixels_10m))
    return LevelEstimate(name, len(pixels_10m), total, model.eecu_seconds(total) / 3600, model)


def estimate_cells_file(
    path: str | Path, name: str, imagery: Mapping[str, Any], dates: Sequence[str]
) -> LevelEstimate | None:
    """The estimate of every cell of a cells table (GeoParquet), or None without a model."""
    model = CostModel.from_imagery(imagery, dates)
    if model is None:
        return None
    bounds = pd.read_parquet(path, columns=["xmin", "ymin", "xmax", "ymax"])
    pixels = cell_pixels(bounds["xmin"], bounds["ymin"], bounds["xmax"], bounds["ymax"])
    return estimate_level(name, pixels, model)


def check_budget(
    levels: Sequence[LevelEstimate],
    max_eecu_hours: float | None,
    what: str = "the run",
    stopped: str = "nothing was requested",
) -> float:
    """The levels' EECU-hours together; MinescanInputError above ``max_eecu_hours`` (None: no
    guard)."""
    total = sum(level.eecu_hours for level in levels)
    if max_eecu_hours is None or total <= float(max_eecu_hours):
        return total
    cells = sum(level.cells for level in levels)
    model = levels[-1].model
    listing = "; ".join(level.describe() for level in levels)
    raise MinescanInputError(
        "config",
        f"{what} would take about {total:,.1f} EECU-hours of Earth Engine compute "
        f"({cells:,} cells), over {GUARD_KEY} ({float(max_eecu_hours):g}); {stopped}. "
        f"Estimated at {model.seconds_per_million_values:g} EECU-seconds per "
        f"million values ({COEFFICIENT_KEY}): {listing}",
        f"raise {GUARD_KEY} (or set it to null) if your project's quota allows it, narrow the "
        "region or the date window, or calibrate the coefficient from a small run's EECU "
        "usage in Cloud Monitoring (docs/imagery.md)",
    )


class RunLedger:
    """The estimates of a run's levels as the workflow learns their cells, each counted once;
    the guard applies to their sum."""

    def __init__(self, max_eecu_hours: float | None) -> None:
        self.max_eecu_hours = max_eecu_hours
        self.levels: dict[str, LevelEstimate] = {}

    def add(self, level: LevelEstimate) -> bool:
        """Add a level not seen before and check the run's total; False if already there."""
        if level.name in self.levels:
            return False
        self.levels[level.name] = level
        try:
            check_budget(
                list(self.levels.values()),
                self.max_eecu_hours,
                what="the run (its levels known so far)",
                stopped=f"no tile of {level.name} was requested",
            )
        except MinescanInputError:
            del self.levels[level.name]  # a retried DAG evaluation refuses again
            raise
        return True

    @property
    def eecu_hours(self) -> float:
        return sum(level.eecu_hours for level in self.levels.values())

    def describe(self) -> str:
        budget = "no guard" if self.max_eecu_hours is None else f"{self.max_eecu_hours:g}"
        return (
            f"Earth Engine estimate for the run so far: {self.eecu_hours:,.2f} EECU-hours "
            f"({GUARD_KEY}: {budget})"
        )


def add_cells_file(
    ledger: RunLedger,
    path: str | Path,
    name: str,
    imagery: Mapping[str, Any],
    dates: Sequence[str],
) -> str | None:
    """Add a level's cells table to the run's ledger (MinescanInputError above the guard);
    the line to log when the level is new, else None."""
    if imagery.get("backend") != "gee" or name in ledger.levels or not Path(path).exists():
        return None
    level = estimate_cells_file(path, name, imagery, dates)
    if level is None or not ledger.add(level):
        return None
    return f"Earth Engine estimate: {level.describe()}. {ledger.describe()}"


__all__ = [
    "add_cells_file",
    "CostModel",
    "LevelEstimate",
    "RunLedger",
    "cell_pixels",
    "check_budget",
    "estimate_cells_file",
    "estimate_level",
    "images_in_window",
]
