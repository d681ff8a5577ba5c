"""Retries with exponential backoff and jitter for calls to remote imagery services."""

from __future__ import annotations

import ctypes
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from minescan.imagery.errors import ImageryServiceError

T = TypeVar("T")
log = logging.getLogger(__name__)


def with_retries(
    call: Callable[[], T],
    *,
    what: str,
    is_transient: Callable[[BaseException], bool],
    attempts: int = 5,
    backoff_s: float = 2.0,
    max_backoff_s: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Run ``call``; retry transient failures, then raise ImageryServiceError naming ``what``.

    ``before_retry`` runs before each new attempt (e.g. to forget a cached failure).
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - classified just below
            if not is_transient(error):
                raise
            if attempt == attempts:
                raise ImageryServiceError(
                    f"{what}: failed after {attempts} attempts; last error: "
                    f"{type(error).__name__}: {error}. Check the service is reachable "
                    "(network, URL, quota) and rerun; finished tiles are kept."
                ) from error
            delay = min(max_backoff_s, backoff_s * 2 ** (attempt - 1)) * (0.5 + random.random())
            log.warning(
                "%s: attempt %d failed (%s); retrying in %.1f s", what, attempt, error, delay
            )
            sleep(delay)
            if before_retry is not None:
                before_retry()
    raise AssertionError("unreachable")


def forget_remote_reads(urls: Sequence[str] | None = None) -> None:
    """Make GDAL forget what it cached of ``urls`` (``/vsicurl/``), or of every URL if None.

    GDAL remembers a URL that failed to open (a dropped connection, a 503) as missing, so a
    retry would fail at once without asking the server again. Only the failed reads' URLs are
    forgotten (``VSICurlPartialClearCache``): the other cells' reads in the same process keep
    their cached headers. rasterio exposes neither call; they are made in the GDAL library
    rasterio loaded.
    """
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libgdal" in line and "/" in line}
    except OSError:  # no /proc (macOS, Windows): GDAL's cache stays; the retry may still pass
        log.debug("cannot list the loaded GDAL library; its URL cache is not cleared")
        return
    for path in sorted(paths):
        try:
            gdal = ctypes.CDLL(path)
            if urls is None:
                gdal.VSICurlClearCache()
                continue
            for url in urls:
                prefix = url if url.startswith("/vsi") else f"/vsicurl/{url.split('?')[0]}"
                gdal.VSICurlPartialClearCache(prefix.encode())
        except (OSError, AttributeError):  # not this platform's GDAL: nothing cached to clear
            log.debug("VSICurl cache functions not found in %s", path)
