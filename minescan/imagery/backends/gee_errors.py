"""Which Earth Engine failures are worth another try, by the messages Earth Engine sends.

The ``ee`` client already retries HTTP 429 and 5xx itself (``state.max_retries`` = 5, through
googleapiclient's ``_retry_request``) and then raises ``ee.EEException`` holding only the
reason of the JSON error body, without the status code (``ee.data._translate_cloud_exception``).
So the status can only be told from the message, and digits inside a message mean nothing:
"Total request size (92274688 bytes) must be less than or equal to 50331648 bytes" holds "503".
Permanent messages are checked first, then transient ones; anything else is a user error.
"""

from __future__ import annotations

# A retry cannot help these: the request itself is refused (HTTP 400/403/404 reasons).
PERMANENT_MESSAGES = (
    "total request size",  # computePixels over 48 MB: "Total request size (N bytes) must be..."
    "must be less than or equal to",  # the other computePixels limits (px a side, bands)
    "user memory limit exceeded",  # the computation itself is too large
    "computation timed out",  # the interactive 5-minute limit: smaller requests, not retries
    "no project found",  # ee.NO_PROJECT_EXCEPTION
    "not signed up for earth engine",
    "project is not registered",
    "has not been used in project",  # the Earth Engine API is not enabled in the project
    "caller does not have required permission",
    "permission denied",
    "please authorize access",  # no credentials (ee.data.get_persistent_credentials)
    "did not match any bands",  # Image.select of a missing band
    "not found",  # a missing asset or collection
)
# Earth Engine's own transient messages, and the reasons Google APIs give for 429 and 5xx.
TRANSIENT_MESSAGES = (
    "too many concurrent aggregations",
    "earth engine capacity exceeded",
    "an internal error has occurred",
    "internal error encountered",  # HTTP 500
    "the service is currently unavailable",  # HTTP 503
    "deadline expired before operation could complete",  # HTTP 504
    "backend error",
    "too many requests",  # HTTP 429
    "quota exceeded",  # "Quota exceeded for quota metric ..." (concurrency or rate)
    "rate limit exceeded",
    "resource has been exhausted",
    "deadline exceeded",  # the client's own deadline (ee.data.setDeadline) ran out
    "read timed out",  # a stalled connection under the client's timeout
)
# Permanent for one request, but a smaller one may pass: the window is split and asked again.
TOO_LARGE_MESSAGES = ("user memory limit exceeded", "computation timed out")
# Network failures below the client: socket, TLS, DNS and token-refresh transport errors.
NETWORK_ERRORS = ("ServerNotFoundError", "TransportError", "SSLError", "RemoteDisconnected")


def is_transient(error: BaseException) -> bool:
    """Quota, concurrency, capacity, server and network errors are retried; user errors, the
    request-size limits and missing projects or credentials are not."""
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    if any(cls.__name__ in NETWORK_ERRORS for cls in type(error).__mro__):
        return True
    text = str(error).lower()
    if any(marker in text for marker in PERMANENT_MESSAGES):
        return False
    return any(marker in text for marker in TRANSIENT_MESSAGES)


def is_too_large(error: BaseException) -> bool:
    """The computation of one request ran out of memory or time: smaller windows may pass."""
    text = str(error).lower()
    return any(marker in text for marker in TOO_LARGE_MESSAGES)
