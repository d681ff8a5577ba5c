"""What a tile's pixels depend on, apart from how they are fetched.

Snakemake reruns a job when its params change, so the tiles rule passes only the settings its
backend computes pixels from (``tile_request``). Settings of how a backend talks to its service
(retries, back-off, concurrency, the billing project) change no pixel: they travel separately
(``fetch_settings``, with the share of failed cells a shard tolerates), so tuning them never
fetches a tile again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from minescan.config import canonical

# The keys of the imagery section each backend reads, besides its own section.
SHARED_KEYS: dict[str, tuple[str, ...]] = {
    "synthetic": ("bands",),
    "local": ("bands", "resampling", "min_valid_fraction"),
    "stac": ("bands", "dates", "max_cloud_cover", "resampling", "min_valid_fraction"),
    "gee": ("bands", "dates", "max_cloud_cover", "min_valid_fraction"),
}
FETCH_KEYS = (
    "retries",
    "backoff_s",
    "max_concurrency",
    "project",
    "max_requests",
    "high_volume",
    "metadata_server",
    "block_mb",
    "timeout_s",
    "read_threads",
    "workload_tag",
    "eecu_seconds_per_million_values",
    "high_volume_cost_factor",
    "max_eecu_hours",
)
# Dated polygons (``first_mapped``) make the mine band and the synthetic mine surfaces of a date
# window: those first mapped before the window's end. Undated polygons add nothing to a request.
MAPPED_BEFORE = "polygons_mapped_before"


def tile_request(
    imagery: Mapping[str, Any],
    dates: Sequence[str],
    compress: str | None = None,
    dated_polygons: bool = False,
) -> dict[str, Any]:
    """The backend's name, the shared keys it reads, its own section less the fetch settings,
    the epoch's dates and the COG compression; keys sorted, so key order never matters. With
    ``dated_polygons``, the window's end limits the polygons (``MAPPED_BEFORE``)."""
    backend = str(imagery["backend"])
    values = {**imagery, "dates": list(dates)}
    own = {k: v for k, v in (imagery.get(backend) or {}).items() if k not in FETCH_KEYS}
    request = {key: values[key] for key in SHARED_KEYS[backend] if key in values}
    request.update({"backend": backend, backend: own})
    if str(imagery.get("level") or "l2a") != "l2a":  # absent at l2a: no rerun of older tiles
        request["level"] = str(imagery["level"])
    request["compress"] = compress or (imagery.get("cog") or {}).get("compress", "zstd")
    if dated_polygons:
        request[MAPPED_BEFORE] = str(dates[1])
    return canonical(request)


class FetchSettings(Mapping):
    """Retries, back-off, concurrency and project of the configured backend, as a mapping.

    Deliberately not a dict: Snakemake compares params only when they are builtin types and
    skips any other object, so a change of these settings reruns no job.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"FetchSettings({self._values!r})"


def fetch_settings(imagery: Mapping[str, Any]) -> FetchSettings:
    """The backend's fetch settings and the share of failed cells a shard tolerates."""
    backend = str(imagery["backend"])
    own = imagery.get(backend) or {}
    settings = {k: own[k] for k in FETCH_KEYS if k in own}
    if "max_failed_fraction" in imagery:
        settings["max_failed_fraction"] = imagery["max_failed_fraction"]
    return FetchSettings(settings)


def backend_options(request: Mapping[str, Any], fetch: Mapping[str, Any]) -> dict[str, Any]:
    """The imagery mapping a backend is built from: the request with the fetch settings."""
    backend = str(request["backend"])
    return {**request, backend: {**(request.get(backend) or {}), **fetch}}
