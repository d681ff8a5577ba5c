"""A STAC API (Earth Search, Planetary Computer, or any other): no account needed.

Items over the cell and dates are searched with pystac-client and read with odc-stac straight
onto the cell's 10 m grid (GDAL range reads of the COGs). Pixels whose scene classification
(SCL) is cloud, shadow, cirrus, saturated or no data are masked, the processing-baseline 04.00
offset (+1000 on the digital numbers since January 2022) is removed, and the per-pixel median
of what is left is the composite.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.bands import DEFAULT_BANDS, check_bands
from minescan.imagery.errors import CellSkipped
from minescan.imagery.retry import forget_remote_reads, with_retries
from minescan.imagery.tile import CellImage, to_uint16_reflectance

log = logging.getLogger(__name__)

EARTH_SEARCH_ASSETS = {
    "B1": "coastal",
    "B2": "blue",
    "B3": "green",
    "B4": "red",
    "B5": "rededge1",
    "B6": "rededge2",
    "B7": "rededge3",
    "B8": "nir",
    "B8A": "nir08",
    "B9": "nir09",
    "B10": "cirrus",
    "B11": "swir16",
    "B12": "swir22",
    "AOT": "aot",
    "SCL": "scl",
}
PLANETARY_COMPUTER_ASSETS = {
    **{b: f"B{int(b[1:]):02d}" for b in EARTH_SEARCH_ASSETS if b[1:].isdigit()},
    "B8A": "B8A",
    "AOT": "AOT",
    "SCL": "SCL",
}
PROVIDERS: dict[str, dict[str, Any]] = {
    "earth-search": {
        "url": "https://earth-search.aws.element84.com/v1",
        "collection": "sentinel-2-l2a",
        "assets": EARTH_SEARCH_ASSETS,
    },
    "planetary-computer": {
        "url": "https://planetarycomputer.microsoft.com/api/stac/v1",
        "collection": "sentinel-2-l2a",
        "assets": PLANETARY_COMPUTER_ASSETS,
    },
}
# SCL classes masked by default: no data, saturated, cloud shadow, cloud medium/high, cirrus.
DEFAULT_MASKED_SCL = (0, 1, 3, 8, 9, 10)
BASELINE_OFFSET = 1000.0
BASELINE_WITH_OFFSET = 4.0


def baseline_offset(properties: Mapping[str, Any]) -> float:
    """Digital-number offset to subtract for an item (1000 from processing baseline 04.00)."""
    if properties.get("earthsearch:boa_offset_applied"):
        return 0.0
    baseline = properties.get("s2:processing_baseline")
    try:
        return BASELINE_OFFSET if float(baseline) >= BASELINE_WITH_OFFSET else 0.0
    except (TypeError, ValueError):
        return 0.0


def is_transient(error: BaseException) -> bool:
    """Network trouble, HTTP 429 or 5xx, and GDAL read failures are worth another try."""
    import requests
    from rasterio.errors import RasterioIOError

    network = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
    cause: BaseException | None = error
    while cause is not None:  # pystac-client wraps network errors in its APIError
        if isinstance(cause, network + (RasterioIOError, ConnectionError, TimeoutError)):
            return True
        cause = cause.__cause__ or cause.__context__
    status = getattr(error, "status_code", None) or getattr(
        getattr(error, "response", None), "status_code", None
    )
    if status is not None:
        return int(status) == 429 or int(status) >= 500
    text = str(error)
    markers = ("429", "500", "502", "503", "504", "Max retries exceeded", "Connection refused")
    return any(marker in text for marker in markers)


@dataclass
class StacBackend:
    url: str
    collection: str
    assets: Mapping[str, str]
    bands: tuple[str, ...] = DEFAULT_BANDS
    dates: tuple[str, str] = ("2019-01-01", "2020-01-01")
    max_cloud_cover: float = 60.0
    max_items: int = 40
    masked_scl: tuple[int, ...] = DEFAULT_MASKED_SCL
    resampling: str = "nearest"
    min_valid_fraction: float = 0.01
    retries: int = 5
    backoff_s: float = 2.0
    sign_planetary_computer: bool = False
    concurrency: int = 1
    name: str = "stac"
    simulated: bool = False
    _client: Any = field(default=None, repr=False)

    @classmethod
    def from_config(cls, imagery: Mapping[str, Any], threads: int = 1) -> StacBackend:
        options = imagery.get("stac") or {}
        provider = str(options.get("provider", "earth-search"))
        preset = PROVIDERS.get(provider, {})
        assets = {**preset.get("assets", EARTH_SEARCH_ASSETS), **(options.get("assets") or {})}
        bands = check_bands(imagery.get("bands", DEFAULT_BANDS))
        missing = [b for b in (*bands, "SCL") if b not in assets]
        if missing:
            raise MinescanInputError(
                "config",
                f"imagery.stac: no asset name for {missing} with provider {provider}",
                "add them to imagery.stac.assets, or drop the bands (TCI and B10 are not in L2A)",
            )
        dates = imagery.get("dates") or ["2019-01-01", "2020-01-01"]
        return cls(
            url=str(options.get("url") or preset.get("url", "")),
            collection=str(options.get("collection") or preset.get("collection", "")),
            assets=assets,
            bands=bands,
            dates=(str(dates[0]), str(dates[1])),
            max_cloud_cover=float(imagery.get("max_cloud_cover", 60)),
            max_items=int(options.get("max_items", 40)),
            masked_scl=tuple(int(c) for c in options.get("masked_scl", DEFAULT_MASKED_SCL)),
            resampling=str(imagery.get("resampling", "nearest")),
            min_valid_fraction=float(imagery.get("min_valid_fraction", 0.01)),
            retries=int(options.get("retries", 5)),
            backoff_s=float(options.get("backoff_s", 2.0)),
            sign_planetary_computer=provider == "planetary-computer",
            concurrency=max(1, int(options.get("max_concurrency", threads))),
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": "stac",
            "simulated": "false",
            "source": f"{self.url} collection {self.collection}",
            "dates": f"{self.dates[0]}/{self.dates[1]} (end exclusive), median",
            "cloud_mask": f"SCL classes {list(self.masked_scl)} masked",
            "offset": "processing baseline >= 04.00: 1000 subtracted",
        }

    def client(self):
        if self._client is None:
            from pystac_client import Client

            modifier = None
            if self.sign_planetary_computer:
                try:
                    import planetary_computer
                except ImportError as error:
                    raise MinescanInputError(
                        "config",
                        "imagery.stac.provider planetary-computer needs the package "
                        "planetary-computer to sign asset URLs",
                        "pip install planetary-computer, or use earth-search",
                    ) from error
                modifier = planetary_computer.sign_inplace
            self._client = with_retries(
                lambda: Client.open(self.url, modifier=modifier),
                what=f"STAC API {self.url}",
                is_transient=is_transient,
                attempts=self.retries,
                backoff_s=self.backoff_s,
            )
        return self._client

    def search(self, cell: Cell) -> list:
        def run() -> list:
            search = self.client().search(
                collections=[self.collection],
                bbox=cell.lonlat_bounds(),
                datetime=f"{self.dates[0]}/{self.dates[1]}",
                query={"eo:cloud_cover": {"lt": self.max_cloud_cover}},
            )
            return list(search.items())

        items = with_retries(
            run,
            what=f"cell {cell.cell_id}: STAC search at {self.url}",
            is_transient=is_transient,
            attempts=self.retries,
            backoff_s=self.backoff_s,
        )
        # The dates are an end-exclusive interval; STAC datetime ranges include the end.
        items = [i for i in items if str(i.properties.get("datetime", ""))[:10] < self.dates[1]]
        items.sort(key=lambda i: (i.properties.get("eo:cloud_cover", 100), i.id))
        return items[: self.max_items]

    def _load(self, items: Sequence, assets: list[str], cell: Cell, resampling: str):
        import odc.stac
        from odc.geo.geobox import GeoBox

        geobox = GeoBox(cell.shape, cell.transform, f"EPSG:{cell.epsg}")
        return with_retries(
            lambda: odc.stac.load(
                items,
                bands=assets,
                geobox=geobox,
                groupby="solar_day",
                resampling=resampling,
                fail_on_error=True,
            ),
            what=f"cell {cell.cell_id}: reading {assets} of {len(items)} item(s) from {self.url}",
            is_transient=is_transient,
            attempts=self.retries,
            backoff_s=self.backoff_s,
            before_retry=forget_remote_reads,
        )

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        items = self.search(cell)
        if not items:
            raise CellSkipped(
                "not_covered",
                f"no {self.collection} item with < {self.max_cloud_cover:g}% cloud over the cell "
                f"between {self.dates[0]} and {self.dates[1]} at {self.url}",
            )
        groups: dict[float, list] = {}
        for item in items:
            groups.setdefault(baseline_offset(item.properties), []).append(item)
        stacks = []
        observed = np.zeros(cell.shape, dtype=bool)
        for offset, group in groups.items():
            scl_name = self.assets["SCL"]
            scl = self._load(group, [scl_name], cell, "nearest")[scl_name].values
            clear = ~np.isin(scl, self.masked_scl)
            observed |= np.any(scl != 0, axis=0)
            # Coarser cell pixels than 10 m (pyramid levels) average the source pixels.
            method = "average" if cell.pixel_size > 10 else self.resampling
            loaded = self._load(group, [self.assets[b] for b in self.bands], cell, method)
            layers = []
            for band in self.bands:
                raw = loaded[self.assets[band]].values.astype(np.float32)
                raw[(raw == 0) | ~clear] = np.nan
                layers.append(raw - offset)
            stacks.append(np.stack(layers, axis=1))  # time, band, y, x
        series = np.concatenate(stacks, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels stay NaN
            data = np.nanmedian(series, axis=0)
        valid = np.all(np.isfinite(data), axis=0)
        fraction = float(valid.mean())
        if fraction < self.min_valid_fraction:
            status = "cloudy" if observed.mean() >= self.min_valid_fraction else "no_data"
            raise CellSkipped(
                status,
                f"{fraction:.1%} clear pixels in {len(items)} item(s) "
                f"({observed.mean():.1%} observed) from {self.url}",
            )
        tags = {
            **self.describe(),
            "n_items": str(len(items)),
            "items": ",".join(i.id for i in items[:50]),
        }
        return CellImage(self.bands, to_uint16_reflectance(data, valid), tags)
