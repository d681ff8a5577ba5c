"""Retries with exponential backoff and jitter for calls to remote imagery services."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
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
) -> T:
    """Run ``call``; retry transient failures, then raise ImageryServiceError naming ``what``."""
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
    raise AssertionError("unreachable")
