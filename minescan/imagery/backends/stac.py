"""A STAC API (Earth Search, Planetary Computer, or any other): no account needed.

Items found by ``stac_search`` are read with odc-stac onto the cell's grid (GDAL range reads),
band by band in row blocks of at most ``block_mb``, as uint16; SCL cloud classes are masked, the
baseline 04.00 offset removed where the COGs carry it (``stac_providers``, recorded per tile),
and the per-pixel median is the composite. Cells coarser than 20 m are composited at SCL's 20 m
and averaged over their clear pixels only. Unreadable items are dropped (``stac_errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.backends.stac_errors import (
    AssetReadError,
    gdal_settings,
    is_forbidden,
    is_transient,
)
from minescan.imagery.backends.stac_providers import (
    EARTH_SEARCH_ASSETS,
    NO_OFFSET_BANDS,
    OFFSET_RULES,
    PLANETARY_COMPUTER_ASSETS,
    PROVIDERS,
    UNDECIDED,
    baseline_offset,
    needs_signing,
    offset_from_pixels,
    offset_rule,
)
from minescan.imagery.backends.stac_search import StacSearch
from minescan.imagery.bands import DEFAULT_BANDS, check_bands, check_level
from minescan.imagery.composite import SCL_PIXEL_M, block_mean, masked_median, series_rows
from minescan.imagery.errors import CellSkipped, ImageryServiceError
from minescan.imagery.retry import forget_remote_reads, with_retries
from minescan.imagery.tile import CellImage, to_uint16_reflectance

log = logging.getLogger(__name__)
__all__ = [
    "EARTH_SEARCH_ASSETS",
    "PLANETARY_COMPUTER_ASSETS",
    "PROVIDERS",
    "StacBackend",
    "baseline_offset",
    "is_transient",
]
# SCL classes masked by default: no data, saturated, cloud shadow, cloud medium/high, cirrus.
DEFAULT_MASKED_SCL = (0, 1, 3, 8, 9, 10)


@dataclass
class StacBackend(StacSearch):
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
    min_clear_share: float = 0.5
    min_items: int = 1
    offset: str = "flag"
    block_mb: float = 128.0
    retries: int = 5
    backoff_s: float = 2.0
    sign_planetary_computer: bool = False
    timeout_s: float = 60.0
    read_threads: int = 1
    concurrency: int = 1
    name: str = "stac"
    simulated: bool = False
    _client: Any = field(default=None, repr=False)
    _planned: dict[str, list] | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, imagery: Mapping[str, Any], threads: int = 1) -> StacBackend:
        options = imagery.get("stac") or {}
        provider = str(options.get("provider", "earth-search"))
        preset = PROVIDERS.get(provider, {})
        assets = {**preset.get("assets", EARTH_SEARCH_ASSETS), **(options.get("assets") or {})}
        bands = check_bands(imagery.get("bands", DEFAULT_BANDS))
        if check_level(imagery.get("level"), bands) != "l2a":
            raise MinescanInputError(
                "config",
                "imagery.level is l1c, and the stac backend composites Level-2A only: its cloud "
                "mask is the scene classification (SCL), a Level-2A product that no Level-1C "
                "collection carries, and Planetary Computer serves no Level-1C collection",
                "use imagery.backend gee (COPERNICUS/S2_HARMONIZED with Cloud Score+) or local "
                "(Level-1C SAFE folders), or set imagery.level: l2a",
            )
        missing = [b for b in (*bands, "SCL") if b not in assets]
        if missing:
            raise MinescanInputError(
                "config",
                f"imagery.stac: provider {provider} has no asset for {missing} "
                f"(its Level-2A assets: {sorted(set(assets.values()))})",
                "drop the bands (B10 and TCI_* are not in Level-2A), or name their assets in "
                "imagery.stac.assets",
            )
        url = str(options.get("url") or preset.get("url", ""))
        collection = str(options.get("collection") or preset.get("collection", ""))
        dates = imagery.get("dates") or ["2019-01-01", "2020-01-01"]
        return cls(
            url=url,
            collection=collection,
            assets=assets,
            bands=bands,
            dates=(str(dates[0]), str(dates[1])),
            max_cloud_cover=float(imagery.get("max_cloud_cover", 60)),
            max_items=int(options.get("max_items", 40)),
            masked_scl=tuple(int(c) for c in options.get("masked_scl", DEFAULT_MASKED_SCL)),
            resampling=str(imagery.get("resampling", "nearest")),
            min_valid_fraction=float(imagery.get("min_valid_fraction", 0.01)),
            min_clear_share=float(options.get("min_clear_share", 0.5)),
            min_items=int(options.get("min_items", 1)),
            offset=offset_rule(provider, url, collection, str(options.get("offset", "auto"))),
            block_mb=float(options.get("block_mb", 128)),
            retries=int(options.get("retries", 5)),
            backoff_s=float(options.get("backoff_s", 2.0)),
            sign_planetary_computer=needs_signing(provider, url),
            timeout_s=float(options.get("timeout_s", 60)),
            read_threads=max(1, int(options.get("read_threads", 1))),
            concurrency=max(1, int(options.get("max_concurrency", threads))),
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": "stac",
            "simulated": "false",
            "source": f"{self.url} collection {self.collection}",
            "dates": f"{self.dates[0]}/{self.dates[1]} (end exclusive), median",
            "cloud_mask": f"SCL classes {list(self.masked_scl)} masked",
            "offset": f"{self.offset}: {OFFSET_RULES[self.offset]}",
        }

    def prepare(self) -> None:
        """Before the first cell: the URL signer Planetary Computer needs."""
        self._signer()

    def _signed(self, items: Sequence) -> list:
        """``items`` with their asset URLs signed now, just before they are read: a SAS token
        signed at search time can expire while a large cell is read. The SDK caches tokens
        and fetches a new one when the cached one is about to expire."""
        signer = self._signer()
        if signer is None:
            return list(items)
        return [signer(item) for item in items]

    def _signer(self):
        if not self.sign_planetary_computer:
            return None
        try:
            import planetary_computer
        except ImportError as error:
            raise MinescanInputError(
                "config",
                f"{self.url} serves asset URLs that must be signed (unsigned they answer 403), "
                "and the package planetary-computer that signs them is not installed",
                "pip install 'minescan[imagery]' (or planetary-computer), or use earth-search",
            ) from error
        return planetary_computer.sign

    def client(self):
        if self._client is None:
            from pystac_client import Client

            # Items are signed when read (``_signed``), not here: a token signed at search
            # time may have expired by then. Every request ends within ``timeout_s``.
            self._client = with_retries(
                lambda: Client.open(self.url, timeout=self.timeout_s),
                what=f"STAC API {self.url}",
                is_transient=is_transient,
                attempts=self.retries,
                backoff_s=self.backoff_s,
            )
        return self._client

    def _load(self, items: Sequence, asset: str, geobox, resampling: str) -> np.ndarray:
        """One asset of ``items`` on ``geobox``: (dates, rows, cols) in the asset's own type."""
        import odc.stac

        what = f"reading {asset} of {len(items)} item(s) from {self.url}"
        # GDAL's settings for odc-stac's reads: cloud defaults, a time-out on every request
        # (a stalled connection fails and is retried instead of hanging the job), and GDAL's
        # own retries of the one range that failed with 429/5xx.
        odc.stac.configure_rio(cloud_defaults=True, **gdal_settings(self.timeout_s))
        try:
            loaded = with_retries(
                lambda: odc.stac.load(
                    self._signed(items),
                    bands=[asset],
                    geobox=geobox,
                    groupby="solar_day",
                    resampling=resampling,
                    fail_on_error=True,
                    pool=self.read_threads if self.read_threads > 1 else None,
                ),
                what=what,
                is_transient=is_transient,
                attempts=self.retries,
                backoff_s=self.backoff_s,
                before_retry=lambda: forget_remote_reads(
                    [i.assets[asset].href for i in items if asset in i.assets]
                ),
            )
        except Exception as error:
            if is_forbidden(error):
                raise ImageryServiceError(
                    f"{what}: HTTP 403 Forbidden (not retried). Planetary Computer's asset URLs "
                    "must be signed: use imagery.stac.provider planetary-computer with the "
                    "planetary-computer package installed; elsewhere check the bucket is public"
                ) from error
            raise AssetReadError(asset, items, error) from error
        return loaded[asset].values

    def _unreadable(self, failure: AssetReadError) -> dict[str, str]:
        """The items of a failed read whose asset cannot be opened at all (a 404, a corrupt
        COG), each with its reason: opened one by one, the failure path only."""
        import rasterio

        bad = {}
        settings = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", **gdal_settings(self.timeout_s)}
        for item in self._signed(failure.items):
            href = item.assets[failure.asset].href
            try:
                with rasterio.Env(**settings), rasterio.open(href) as src:
                    src.read(1, window=((0, 1), (0, 1)))
            except Exception as error:  # noqa: BLE001 - any failure to read drops the item
                if is_forbidden(error):
                    raise
                bad[item.id] = f"{failure.asset}: {str(error)[:120]}"
        return bad

    def _grid(self, cell: Cell) -> tuple[Any, int, str]:
        """The grid the items are read on, how many of its pixels make a cell pixel, and the
        resampling of the bands onto it: the cell's own grid up to 20 m; SCL's 20 m grid
        (or 10 m, when 20 m does not divide the pixel) for coarser cells."""
        from odc.geo.geobox import GeoBox
        from rasterio.transform import from_origin

        size = cell.pixel_size
        coarse = size > SCL_PIXEL_M
        fine = (SCL_PIXEL_M if size % SCL_PIXEL_M == 0 else 10) if coarse else size
        factor = int(round(size / fine))
        if coarse and abs(factor * fine - size) > 1e-6:  # no finer grid divides it: read as is
            fine, factor = size, 1
        shape = (cell.height * factor, cell.width * factor)
        geobox = GeoBox(shape, from_origin(cell.xmin, cell.ymax, fine, fine), f"EPSG:{cell.epsg}")
        method = "average" if fine > 10 else self.resampling
        return geobox, factor, method

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        items = self.search(cell)
        if not items:
            raise CellSkipped(
                "not_covered",
                f"no {self.collection} item with < {self.max_cloud_cover:g}% cloud over the cell "
                f"between {self.dates[0]} and {self.dates[1]} at {self.url}",
            )
        geobox, factor, method = self._grid(cell)
        offsets = {i.id: baseline_offset(i.properties, self.offset) for i in items}
        decided = {}
        for item in items:
            if offsets[item.id] == UNDECIDED:
                offsets[item.id], decided[item.id] = self._probe_offset(item, geobox)
        dropped: dict[str, str] = {}
        while True:
            try:
                data, observed = self._composite(cell, items, offsets, geobox, factor, method)
                break
            except AssetReadError as failure:
                bad = self._unreadable(failure)
                if not bad:  # every asset opens now: the service, not an item, failed
                    raise failure.error from None
                dropped.update(bad)
                items = [i for i in items if i.id not in bad]
                log.warning("cell %s: items dropped: %s", cell.cell_id, bad)
                if len(items) < self.min_items:
                    raise ImageryServiceError(
                        f"{len(items)} readable item(s) left (< imagery.stac.min_items "
                        f"{self.min_items}) after dropping {dropped}"
                    ) from None
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
            "offsets": ",".join(f"{i.id}={offsets[i.id]}" for i in items[:50]),
        }
        if dropped:
            tags["dropped_items"] = "; ".join(f"{k} ({v})" for k, v in dropped.items())
        if decided:
            tags["offsets_from_pixels"] = ",".join(f"{k}: {v}" for k, v in decided.items())
        if factor > 1:
            tags["coarse_pixels"] = (
                f"masked and composited at {cell.pixel_size / factor:g} m, clear pixels "
                f"averaged to {cell.pixel_size:g} m where at least {self.min_clear_share:.0%} "
                "are clear"
            )
        return CellImage(self.bands, to_uint16_reflectance(data, valid), tags)

    def _composite(self, cell: Cell, items: list, offsets: dict, geobox, factor: int, method):
        """The composite of ``items`` at the cell's pixels (NaN where none is clear) and where
        any item observed the cell, in row blocks of at most ``block_mb``."""
        groups: dict[int, list] = {}
        for item in items:
            groups.setdefault(offsets[item.id], []).append(item)
        fine_h, fine_w = geobox.shape
        rows = series_rows(fine_w, fine_h, len(items), self.block_mb)
        rows = max(factor, rows - rows % factor)  # whole cell pixels in every block
        data = np.full((len(self.bands), cell.height, cell.width), np.nan, dtype=np.float32)
        observed = np.zeros(cell.shape, dtype=bool)
        for top in range(0, fine_h, rows):
            block = geobox[top : min(top + rows, fine_h), :]  # odc does not clip it
            out = slice(top // factor, (top + block.shape[0]) // factor)
            seen = self._composite_block(groups, block, method, factor, data[:, out])
            observed[out] = (
                seen
                if factor == 1
                else block_mean(np.where(seen, 1.0, np.nan).astype(np.float32), factor, 1e-9) > 0
            )
        return data, observed

    def _probe_offset(self, item, geobox) -> tuple[int, str]:
        """Whether ``item`` still carries the baseline 04.00 offset, from its clear pixels of a
        visible band over the cell (``offset_from_pixels``), and the evidence for the tags."""
        visible = [b for b in ("B4", "B3", "B2") if b in self.bands and b in self.assets]
        spectral = [b for b in self.bands if b not in NO_OFFSET_BANDS]
        band = (visible or spectral or [None])[0]
        if band is None:
            return 0, "no spectral band to tell"
        scl = self._load([item], self.assets["SCL"], geobox, "nearest")[0]
        values = self._load([item], self.assets[band], geobox, "nearest")[0]
        return offset_from_pixels(scl, values, self.masked_scl, band)

    def _composite_block(
        self, groups: dict[int, list], block, method: str, factor: int, out: np.ndarray
    ) -> np.ndarray:
        """Write the composite of one row block into ``out`` (bands, rows, cols at the cell's
        pixels); return where any item observed the block (at the read grid)."""
        scl_name = self.assets["SCL"]
        masked_classes = np.zeros(256, dtype=bool)
        masked_classes[list(self.masked_scl)] = True
        masked, dates = {}, 0
        seen = np.zeros(block.shape, dtype=bool)
        for offset, group in groups.items():
            scl = self._load(group, scl_name, block, "nearest")
            seen |= np.any(scl != 0, axis=0)
            # A lookup table: np.isin would allocate 8 bytes per value (84 MB a band here).
            masked[offset] = masked_classes[scl]
            dates += scl.shape[0]
            del scl
        for index, band in enumerate(self.bands):
            series = self._band_series(groups, masked, dates, band, block, method)
            median = masked_median(series)
            del series
            out[index] = median if factor == 1 else block_mean(median, factor, self.min_clear_share)
        return seen

    def _band_series(self, groups, masked, dates: int, band: str, block, method: str):
        """One band's series of the block, uint16, masked and offsets removed (0 = none)."""
        series = None
        start = 0
        for offset, group in groups.items():
            raw = self._load(group, self.assets[band], block, method)
            if raw.dtype != np.uint16:
                raw = np.clip(raw, 0, 65535).astype(np.uint16)
            bad = raw == 0
            bad |= masked[offset]
            if offset and band not in NO_OFFSET_BANDS:
                # Reflectance below the offset is 0; it stays a valid (dark) pixel.
                np.maximum(raw, offset + 1, out=raw)
                raw -= np.uint16(offset)
            raw[bad] = 0
            if len(groups) == 1:
                return raw
            if series is None:
                series = np.zeros((dates, *raw.shape[1:]), dtype=np.uint16)
            series[start : start + raw.shape[0]] = raw
            start += raw.shape[0]
        return series
