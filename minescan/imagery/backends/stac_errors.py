"""Which STAC search and read failures are worth another try, and which are the item's own
(a 404, a corrupt COG: the item is dropped) or a URL's (a 403: it must be signed)."""

from __future__ import annotations

import re
from collections.abc import Sequence

FORBIDDEN = "HTTP response code: 403"  # GDAL's wording for a refused range read
# A status named as one (GDAL, requests, pystac-client's APIError starting with it).
HTTP_STATUS = re.compile(r"(HTTP response code|status code|HTTP Error|^)\W{0,3}(429|5\d\d)\b")


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None) or getattr(
        getattr(error, "response", None), "status_code", None
    )
    return int(status) if status is not None else None


def is_forbidden(error: BaseException) -> bool:
    """HTTP 403: unsigned or expired URLs (Planetary Computer), or a private bucket."""
    cause: BaseException | None = error
    while cause is not None:
        if _status(cause) == 403 or FORBIDDEN in str(cause) or "403 Forbidden" in str(cause):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def is_missing(error: BaseException) -> bool:
    """HTTP 404 on an asset (GDAL's wording), anywhere in the chain of causes."""
    cause: BaseException | None = error
    while cause is not None:
        if "HTTP response code: 404" in str(cause) or _status(cause) == 404:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class AssetReadError(RuntimeError):
    """An asset of some item could not be read, after the retries its error deserved."""

    def __init__(self, asset: str, items: Sequence, error: BaseException) -> None:
        super().__init__(f"reading {asset}: {type(error).__name__}: {error}")
        self.asset, self.items, self.error = asset, list(items), error


def is_transient(error: BaseException) -> bool:
    """Network trouble, HTTP 429 or 5xx, and GDAL read failures are worth another try."""
    import requests
    from rasterio.errors import RasterioIOError

    if is_forbidden(error):  # another try gets another 403: the URL must be signed
        return False
    if is_missing(error):  # a 404 stays a 404: the item is dropped instead
        return False
    network = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
    cause: BaseException | None = error
    while cause is not None:  # pystac-client wraps network errors in its APIError
        if isinstance(cause, network + (RasterioIOError, ConnectionError, TimeoutError)):
            return True
        cause = cause.__cause__ or cause.__context__
    status = _status(error)
    if status is not None:
        return status == 429 or status >= 500
    # A status in the words of the message, never digits that happen to be in it.
    text = str(error)
    if HTTP_STATUS.search(text):
        return True
    return any(marker in text for marker in ("Max retries exceeded", "Connection refused"))


def gdal_settings(timeout_s: float) -> dict[str, str]:
    """GDAL's HTTP settings for remote reads: time-outs, and range-level retries (GDAL doubles
    the delay at each: 1 + 2 + 4 s at most)."""
    return {
        "GDAL_HTTP_TIMEOUT": str(max(1, round(timeout_s))),
        "GDAL_HTTP_CONNECTTIMEOUT": str(max(1, min(10, round(timeout_s)))),
        "GDAL_HTTP_MAX_RETRY": "3",
        "GDAL_HTTP_RETRY_DELAY": "1",
    }
