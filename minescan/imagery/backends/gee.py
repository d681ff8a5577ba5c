"""Google Earth Engine: ``COPERNICUS/S2_SR_HARMONIZED``, Cloud Score+ mask, median composite.

One ``computePixels`` request per cell returns a GeoTIFF on the cell's own grid (its UTM CRS,
10 m, edges on the pixel grid). Requests run a bounded number at a time and are retried with
exponential backoff on quota (429) and server errors. Credentials come from Earth Engine's own
mechanisms (``earthengine authenticate``, a service-account key named by
``GOOGLE_APPLICATION_CREDENTIALS``, or application-default credentials); they are never logged or
written. ``ee`` is imported lazily so the rest of minescan works without it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.bands import BANDS, DEFAULT_BANDS, NODATA, check_bands
from minescan.imagery.errors import CellSkipped
from minescan.imagery.retry import with_retries
from minescan.imagery.tile import CellImage, to_uint16_reflectance

log = logging.getLogger(__name__)
SR_COLLECTION = "COPERNICUS/S2_SR_HARMONIZED"
CLOUD_SCORE_PLUS = "GOOGLE/CLOUD_SCORE_PLUS/V1/S2_HARMONIZED"
TRANSIENT_MARKERS = (
    "429",
    "Too Many Requests",
    "quota",
    "Quota",
    "rate limit",
    "500",
    "502",
    "503",
    "504",
    "Internal error",
    "Service Unavailable",
    "Deadline",
    "timed out",
    "Connection",
)


def is_transient(error: BaseException) -> bool:
    """Quota, rate-limit, server and network errors are retried; user errors are not."""
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    return any(marker in str(error) for marker in TRANSIENT_MARKERS)


def build_composite(
    ee: Any,
    region: Any,
    bands: tuple[str, ...],
    dates: tuple[str, str],
    collection: str = SR_COLLECTION,
    cloud_score_collection: str = CLOUD_SCORE_PLUS,
    cloud_score_band: str = "cs_cdf",
    clear_threshold: float = 0.6,
    max_cloud_cover: float = 60.0,
) -> Any:
    """The median of the Cloud Score+-masked images over ``region`` and ``dates`` (an ee.Image)."""
    scores = ee.ImageCollection(cloud_score_collection)

    def mask(image: Any) -> Any:
        return image.updateMask(image.select(cloud_score_band).gte(clear_threshold))

    return (
        ee.ImageCollection(collection)
        .filterBounds(region)
        .filterDate(dates[0], dates[1])
        .filter(ee.Filter.lt("CLOUDY_PIXEL_PERCENTAGE", max_cloud_cover))
        .linkCollection(scores, [cloud_score_band])
        .map(mask)
        .select(list(bands))
        .median()
    )


def pixel_grid(cell: Cell) -> dict[str, Any]:
    """The computePixels grid: the cell's CRS, transform and size, exactly."""
    return {
        "dimensions": {"width": cell.width, "height": cell.height},
        "affineTransform": {
            "scaleX": cell.pixel_size,
            "shearX": 0,
            "translateX": cell.xmin,
            "shearY": 0,
            "scaleY": -cell.pixel_size,
            "translateY": cell.ymax,
        },
        "crsCode": f"EPSG:{cell.epsg}",
    }


def build_request(ee: Any, cell: Cell, **composite: Any) -> dict[str, Any]:
    """The ``ee.data.computePixels`` request of one cell (GeoTIFF of the composite)."""
    west, south, east, north = cell.lonlat_bounds()
    region = ee.Geometry.Rectangle([west, south, east, north], None, False)
    image = build_composite(ee, region, **composite).unmask(NODATA).toUint16()
    return {
        "expression": image,
        "fileFormat": "GEO_TIFF",
        "bandIds": list(composite["bands"]),
        "grid": pixel_grid(cell),
    }


def initialize(project: str | None) -> Any:
    """Import and initialize ``ee`` with the user's own credentials (never logged)."""
    os.environ.setdefault("NO_GCE_CHECK", "true")  # no probe of the cloud metadata server
    try:
        import ee
    except ImportError as error:
        raise MinescanInputError(
            "config",
            "imagery.backend is gee but earthengine-api is not installed",
            "pip install 'minescan[imagery]'",
        ) from error
    try:
        credentials: Any = "persistent"  # the `earthengine authenticate` token
        key = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        if key and os.path.isfile(key):
            import google.auth

            credentials, _ = google.auth.load_credentials_from_file(
                key, scopes=["https://www.googleapis.com/auth/earthengine"]
            )
        ee.Initialize(credentials=credentials, project=project)
    except Exception as error:
        raise MinescanInputError(
            "Earth Engine",
            f"cannot initialize ({type(error).__name__})",
            "run `earthengine authenticate` or set GOOGLE_APPLICATION_CREDENTIALS to a "
            "service-account key, and set imagery.gee.project",
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
    retries: int = 6
    backoff_s: float = 2.0
    concurrency: int = 8
    name: str = "gee"
    simulated: bool = False
    _ee: Any = field(default=None, repr=False)

    @classmethod
    def from_config(cls, imagery: Mapping[str, Any], threads: int = 1) -> GeeBackend:
        options = imagery.get("gee") or {}
        bands = check_bands(imagery.get("bands", DEFAULT_BANDS))
        collection = str(options.get("collection", SR_COLLECTION))
        toa = [b for b in bands if BANDS[b].toa_only]
        if toa and "_SR" in collection:
            raise MinescanInputError(
                "config",
                f"imagery.bands {toa} exist only in top-of-atmosphere data, not in {collection}",
                "drop them, or set imagery.gee.collection to COPERNICUS/S2_HARMONIZED",
            )
        dates = imagery.get("dates") or ["2019-01-01", "2020-01-01"]
        return cls(
            project=options.get("project"),
            bands=bands,
            dates=(str(dates[0]), str(dates[1])),
            collection=collection,
            cloud_score_collection=str(options.get("cloud_score_collection", CLOUD_SCORE_PLUS)),
            clear_threshold=float(options.get("clear_threshold", 0.6)),
            max_cloud_cover=float(imagery.get("max_cloud_cover", 60)),
            min_valid_fraction=float(imagery.get("min_valid_fraction", 0.01)),
            retries=int(options.get("retries", 6)),
            backoff_s=float(options.get("backoff_s", 2.0)),
            concurrency=int(options.get("max_concurrency", 8)),
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": "gee",
            "simulated": "false",
            "source": f"Earth Engine {self.collection}",
            "dates": f"{self.dates[0]}/{self.dates[1]} (end exclusive), median",
            "cloud_mask": f"Cloud Score+ cs_cdf >= {self.clear_threshold:g}",
        }

    def ee(self) -> Any:
        if self._ee is None:
            self._ee = initialize(self.project)
        return self._ee

    def request(self, cell: Cell) -> dict[str, Any]:
        return build_request(
            self.ee(),
            cell,
            bands=self.bands,
            dates=self.dates,
            collection=self.collection,
            cloud_score_collection=self.cloud_score_collection,
            clear_threshold=self.clear_threshold,
            max_cloud_cover=self.max_cloud_cover,
        )

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        from rasterio.io import MemoryFile

        ee = self.ee()
        request = self.request(cell)
        try:
            payload = with_retries(
                lambda: ee.data.computePixels(request),
                what=f"cell {cell.cell_id}: Earth Engine computePixels",
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
            data = src.read().astype(np.float32)
        valid = np.all(data != NODATA, axis=0)
        fraction = float(valid.mean())
        if fraction < self.min_valid_fraction:
            raise CellSkipped(
                "cloudy",
                f"{fraction:.1%} clear pixels in the {self.dates[0]}/{self.dates[1]} composite",
            )
        return CellImage(self.bands, to_uint16_reflectance(data, valid), self.describe())
