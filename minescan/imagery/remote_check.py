"""Checks of the imagery section that run when the workflow is parsed, before any job.

A remote backend's configuration errors (no Earth Engine project, a band its provider does not
have, a per-job concurrency above the run-wide budget) would otherwise surface in every tiles
job, after the grid stage has run, once per cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minescan.errors import MinescanInputError

# The Snakemake resource that bounds Earth Engine requests in flight across the whole run: each
# tiles job declares its own concurrency, and the run's total is ``imagery.gee.max_requests``
# (set as a global resource by the workflow unless given with --resources).
EE_RESOURCE = "earthengine_requests"
DEFAULT_MAX_REQUESTS = 40  # Earth Engine's default concurrent-request quota per project


def gee_budget(imagery: Mapping[str, Any]) -> tuple[int, int]:
    """(requests in flight per job, requests in flight across the run) of the gee backend."""
    options = imagery.get("gee") or {}
    return int(options.get("max_concurrency", 8)), int(
        options.get("max_requests", DEFAULT_MAX_REQUESTS)
    )


def ee_requests_per_job(imagery: Mapping[str, Any]) -> int:
    """What one tiles job declares of ``EE_RESOURCE``: its concurrency with gee, else 0."""
    return gee_budget(imagery)[0] if imagery.get("backend") == "gee" else 0


def check_gee(imagery: Mapping[str, Any]) -> None:
    from minescan.imagery.backends.gee import GeeBackend
    from minescan.imagery.backends.gee_limits import check_bands_limit

    options = imagery.get("gee") or {}
    if not options.get("project"):
        raise MinescanInputError(
            "config",
            "imagery.gee.project is not set; Earth Engine needs a Google Cloud project "
            "registered for Earth Engine (required for every request since November 2024)",
            "set imagery.gee.project to your project id (for a service account: its own "
            "project); register it at https://code.earthengine.google.com/register",
        )
    per_job, budget = gee_budget(imagery)
    if per_job > budget:
        raise MinescanInputError(
            "config",
            f"imagery.gee.max_concurrency ({per_job}) is above imagery.gee.max_requests "
            f"({budget}), the run-wide budget of requests in flight",
            "lower max_concurrency, or raise max_requests to your project's quota",
        )
    backend = GeeBackend.from_config(imagery)
    check_bands_limit(len(backend.bands))


def check_stac(imagery: Mapping[str, Any]) -> None:
    from minescan.imagery.backends.stac import StacBackend

    StacBackend.from_config(imagery)  # band names against the provider's asset keys


def check_imagery(imagery: Mapping[str, Any]) -> None:
    """Raise MinescanInputError for a remote backend's configuration that cannot work."""
    backend = imagery.get("backend", "synthetic")
    if backend == "gee":
        check_gee(imagery)
    elif backend == "stac":
        check_stac(imagery)
