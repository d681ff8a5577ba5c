"""Google Earth Engine: ``COPERNICUS/S2_SR_HARMONIZED``, Cloud Score+ mask, median composite.

``computePixels`` returns a GeoTIFF on the cell's own grid (its UTM CRS, 10 m, edges on the
pixel grid): one request per cell, or a grid of windows mosaicked when the cell is larger than
computePixels' limits (``gee_limits``). Requests run ``max_concurrency`` at a time per job, and
the workflow bounds the jobs so that the run never has more than ``max_requests`` in flight
(the project's concurrent-request quota). They are retried with exponential backoff on Earth
Engine's transient errors, told by their messages (``gee_errors``). Earth Engine is initialised
once per job, before the first cell, and a failure fails the job at once with Earth Engine's
own reason. Credentials come from Earth Engine's own mechanisms (``earthengine authenticate``,
a service-account key named by ``GOOGLE_APPLICATION_CREDENTIALS``, or application-default
credentials, the metadata server's on GCE, GKE and Cloud Run); they are never logged or
written. ``ee`` is imported lazily so the rest of minescan works without it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.backends.gee_composite import Composite
from minescan.imagery.backends.gee_cost import (
    CostModel,
    cell_pixels,
    check_budget,
    estimate_level,
)
from minescan.imagery.backends.gee_errors import is_too_large, is_transient
from minescan.imagery.backends.gee_limits import Window
from minescan.imagery.backends.gee_request import (
    CLOUD_SCORE_PLUS,
    COMPOSITE_PIXEL_M,
    SR_COLLECTION,
    build_requests,
    check_collection,
    check_workload_tag,
    pixel_grid,
    quarters,
)
from minescan.imagery.bands import DEFAULT_BANDS, LEVELS, NODATA, check_bands, check_level
from minescan.imagery.errors import CellSkipped, ImageryServiceError
from minescan.imagery.retry import with_retries
from minescan.imagery.tile import CellImage, to_uint16_reflectance

log = logging.getLogger(__name__)
MIN_WINDOW_PX = 32  # windows are split on memory and time-out errors down to this side
DEADLINE_S = 330  # a stalled request ends here; interactive computations stop at 5 minutes


def initialize(
    project: str | None,
    high_volume: bool = True,
    metadata_server: bool = True,
    retries: int = 6,
    backoff_s: float = 2.0,
    deadline_s: float = DEADLINE_S,
    workload_tag: str | None = None,
) -> Any:
    """Import and initialize ``ee`` with the user's own credentials (never logged).

    ``metadata_server`` false sets ``NO_GCE_CHECK``, so that google-auth does not probe the
    cloud metadata address (seconds of timeouts on a machine that has none); on GCE, GKE or
    Cloud Run it must stay true, or the attached service account is never found.
    """
    if not metadata_server:
        os.environ.setdefault("NO_GCE_CHECK", "true")
    try:
        import ee
    except ImportError as error:
        raise MinescanInputError(
            "config",
            "imagery.backend is gee but earthengine-api is not installed",
            "pip install 'minescan[imagery]'",
        ) from error
    try:
        credentials: Any = "persistent"  # the `earthengine authenticate` token, else ADC
        key = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        if key and os.path.isfile(key):
            import google.auth

            credentials, _ = google.auth.load_credentials_from_file(
                key, scopes=["https://www.googleapis.com/auth/earthengine"]
            )
        url = ee.data.HIGH_VOLUME_API_BASE_URL if high_volume else None
        # A network blip or a 503 while initialising is retried like any request; a missing
        # project or credentials fail at once below.
        with_retries(
            lambda: ee.Initialize(credentials=credentials, project=project, opt_url=url),
            what="Earth Engine initialisation",
            is_transient=is_transient,
            attempts=retries,
            backoff_s=backoff_s,
        )
        ee.data.setDeadline(int(deadline_s * 1000))
        if workload_tag:  # the run's EECU show under this tag in the Cloud console
            ee.data.setDefaultWorkloadTag(workload_tag)
    except Exception as error:
        # Earth Engine's own reason (no project, API not enabled, no credentials) is what the
        # user needs; it never holds the credentials themselves.
        raise MinescanInputError(
            "Earth Engine",
            f"cannot initialize: {type(error).__name__}: {error}",
            "run `earthengine authenticate` or set GOOGLE_APPLICATION_CREDENTIALS to a "
            "service-account key, and set imagery.gee.project to a Cloud project registered "
            "for Earth Engine",
        ) from None
    return ee


@dataclass
class GeeBackend:
    project: str | None = None
    bands: tuple[str, ...] = DEFAULT_BANDS
    dates: tuple[str, str] = ("2019-01-01", "2020-01-01")
    collection: str = SR_COLLECTION
    cloud_score_collection: str = CLOUD_SCORE_PLUS
    clear_threshold: float = 0.6
    max_cloud_cover: float = 60.0
    min_valid_fraction: float = 0.01
    min_clear_share: float = 0.5
    level: str = "l2a"
    retries: int = 6
    backoff_s: float = 2.0
    concurrency: int = 8
    high_volume: bool = True
    metadata_server: bool = True
    timeout_s: float = DEADLINE_S
    workload_tag: str = "minescan-l2a"
    cost: CostModel | None = None  # None: no estimate (no coefficient configured)
    max_eecu_hours: float | None = None
    name: str = "gee"
    simulated: bool = False
    _ee: Any = field(default=None, repr=False)
    _init_error: MinescanInputError | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_config(cls, imagery: Mapping[str, Any], threads: int = 1) -> GeeBackend:
        options = imagery.get("gee") or {}
        bands = check_bands(imagery.get("bands", DEFAULT_BANDS))
        level = check_level(imagery.get("level"), bands)
        collection = check_collection(options.get("collection"), level)
        dates = imagery.get("dates") or ["2019-01-01", "2020-01-01"]
        concurrency = int(options.get("max_concurrency", 8))
        guard = options.get("max_eecu_hours")
        return cls(
            project=options.get("project"),
            bands=bands,
            dates=(str(dates[0]), str(dates[1])),
            collection=collection,
            level=level,
            cloud_score_collection=str(options.get("cloud_score_collection", CLOUD_SCORE_PLUS)),
            clear_threshold=float(options.get("clear_threshold", 0.6)),
            max_cloud_cover=float(imagery.get("max_cloud_cover", 60)),
            min_valid_fraction=float(imagery.get("min_valid_fraction", 0.01)),
            min_clear_share=float(options.get("min_clear_share", 0.5)),
            retries=int(options.get("retries", 6)),
            backoff_s=float(options.get("backoff_s", 2.0)),
            # Never more in flight in one job than the run-wide budget allows.
            concurrency=min(concurrency, int(options.get("max_requests", concurrency))),
            high_volume=bool(options.get("high_volume", True)),
            metadata_server=bool(options.get("metadata_server", True)),
            timeout_s=float(options.get("timeout_s", DEADLINE_S)),
            workload_tag=check_workload_tag(options.get("workload_tag") or f"minescan-{level}"),
            cost=CostModel.from_imagery({**imagery, "bands": bands}, dates),
            max_eecu_hours=None if guard is None else float(guard),
        )

    @property
    def composite(self) -> Composite:
        """The composite this backend's tiles are made of (before coarse pixels are averaged)."""
        return Composite(
            self.bands,
            self.dates,
            self.collection,
            self.cloud_score_collection,
            "cs_cdf",
            self.clear_threshold,
            self.max_cloud_cover,
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": "gee",
            "simulated": "false",
            "source": f"Earth Engine {self.collection}",
            "level": f"{self.level}: {LEVELS[self.level]} x 10000",
            "dates": f"{self.dates[0]}/{self.dates[1]} (end exclusive), median",
            "cloud_mask": f"Cloud Score+ cs_cdf >= {self.clear_threshold:g}",
        }

    def check_cost(self, cells: list[Cell]) -> None:
        """Log the estimated EECU-hours of ``cells`` and refuse them, before Earth Engine is
        even initialised, when the estimate is above ``max_eecu_hours``."""
        if self.cost is None or not cells:
            return
        pixels = cell_pixels(
            [c.xmin for c in cells],
            [c.ymin for c in cells],
            [c.xmax for c in cells],
            [c.ymax for c in cells],
        )
        level = estimate_level(f"{len(cells)} cells to fetch", pixels, self.cost)
        log.info("Earth Engine estimate (workload tag %s): %s", self.workload_tag, level.describe())
        check_budget([level], self.max_eecu_hours, what="this tiles job")

    def prepare(self) -> Any:
        """Initialize Earth Engine once per job (thread-safe); a failure is kept and raised
        again at once, so that no cell tries again and the job fails with Earth Engine's
        reason."""
        with self._lock:
            if self._ee is None and self._init_error is None:
                try:
                    self._ee = initialize(
                        self.project,
                        self.high_volume,
                        self.metadata_server,
                        self.retries,
                        self.backoff_s,
                        self.timeout_s,
                        self.workload_tag,
                    )
                except MinescanInputError as error:
                    self._init_error = error
            if self._init_error is not None:
                raise self._init_error
            return self._ee

    def ee(self) -> Any:
        return self.prepare()

    def requests(self, cell: Cell) -> list[tuple[Window, dict[str, Any]]]:
        c = self.composite
        return build_requests(
            self.ee(),
            cell,
            bands=c.bands,
            dates=c.dates,
            collection=c.collection,
            cloud_score_collection=c.cloud_score_collection,
            cloud_score_band=c.cloud_score_band,
            clear_threshold=c.clear_threshold,
            max_cloud_cover=c.max_cloud_cover,
            min_clear_share=self.min_clear_share,
        )

    def request(self, cell: Cell) -> dict[str, Any]:
        requests = self.requests(cell)
        if len(requests) != 1:
            raise ValueError(f"cell {cell.cell_id} needs {len(requests)} requests")
        return requests[0][1]

    def _compute(self, cell: Cell, window: Window, request: dict[str, Any]) -> np.ndarray:
        from rasterio.io import MemoryFile

        ee = self.ee()
        where = (
            ""
            if window.row == window.col == 0 and window.height == cell.height
            else (
                f" rows {window.row}-{window.row + window.height}, "
                f"cols {window.col}-{window.col + window.width}"
            )
        )
        try:
            payload = with_retries(
                lambda: ee.data.computePixels(request),
                what=f"cell {cell.cell_id}{where}: Earth Engine computePixels",
                is_transient=is_transient,
                attempts=self.retries,
                backoff_s=self.backoff_s,
            )
        except Exception as error:
            if "no bands" in str(error):  # the median of an empty collection
                raise CellSkipped(
                    "not_covered",
                    f"no {self.collection} image over the cell in {self.dates[0]}/{self.dates[1]}",
                ) from None
            raise
        with MemoryFile(payload) as memory, memory.open() as src:
            data = src.read()
        if data.shape != (len(self.bands), window.height, window.width):
            raise ValueError(
                f"cell {cell.cell_id}: Earth Engine returned {data.shape}, asked for "
                f"{(len(self.bands), window.height, window.width)}"
            )
        return data

    def _compute_or_split(
        self, cell: Cell, window: Window, request: dict[str, Any], data: np.ndarray
    ) -> int:
        """Fill ``data`` over ``window``; when Earth Engine runs out of memory or time on it,
        ask for its four quarters instead, down to ``MIN_WINDOW_PX`` a side. Returns the
        number of requests that answered."""
        try:
            part = self._compute(cell, window, request)
        except Exception as error:
            if not is_too_large(error):
                raise
            if min(window.height, window.width) < 2 * MIN_WINDOW_PX:
                raise ImageryServiceError(
                    f"cell {cell.cell_id}: Earth Engine: {error} even for a window of "
                    f"{window.height} x {window.width} px; try fewer bands or a shorter "
                    "imagery date window"
                ) from error
            log.info("cell %s: %s; asking for four smaller windows", cell.cell_id, error)
            answered = 0
            for sub in quarters(window):
                sub_request = {**request, "grid": pixel_grid(cell, sub)}
                answered += self._compute_or_split(cell, sub, sub_request, data)
            return answered
        rows = slice(window.row, window.row + window.height)
        cols = slice(window.col, window.col + window.width)
        data[:, rows, cols] = part
        return 1

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        requests = self.requests(cell)
        data = np.zeros((len(self.bands), cell.height, cell.width), dtype=np.uint16)
        answered = 0
        for window, request in requests:  # in turn: the job's concurrency stays per cell
            answered += self._compute_or_split(cell, window, request, data)
        valid = np.all(data != NODATA, axis=0)
        fraction = float(valid.mean())
        if fraction < self.min_valid_fraction:
            raise CellSkipped(
                "cloudy",
                f"{fraction:.1%} clear pixels in the {self.dates[0]}/{self.dates[1]} composite",
            )
        tags = self.describe()
        if cell.pixel_size > COMPOSITE_PIXEL_M:
            tags["coarse_pixels"] = (
                f"masked and composited at {COMPOSITE_PIXEL_M} m, clear pixels averaged to "
                f"{cell.pixel_size:g} m where at least {self.min_clear_share:.0%} are clear"
            )
        if answered > len(requests):
            tags["split"] = (
                f"{answered} computePixels windows after Earth Engine ran out of memory or time"
            )
        if len(requests) > 1:
            tags["requests"] = f"{len(requests)} computePixels windows, mosaicked"
        return CellImage(self.bands, to_uint16_reflectance(data, valid), tags)


def composite_params(imagery: Mapping[str, Any], dates: list[str] | tuple[str, str]) -> dict:
    """What the gee backend composites with for ``imagery`` over ``dates``, as plain values (a
    rule's params): the exported classifier's usage builds the same."""
    composite = GeeBackend.from_config({**imagery, "dates": list(dates)}).composite
    return {
        "bands": list(composite.bands),
        "dates": list(composite.dates),
        "collection": composite.collection,
        "cloud_score_collection": composite.cloud_score_collection,
        "cloud_score_band": composite.cloud_score_band,
        "clear_threshold": composite.clear_threshold,
        "max_cloud_cover": composite.max_cloud_cover,
    }
