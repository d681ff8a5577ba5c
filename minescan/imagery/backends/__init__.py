"""Imagery backends: each turns a cell into a CellImage (or raises CellSkipped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minescan.errors import MinescanInputError
from minescan.imagery.backends.base import Backend

BACKENDS = ("synthetic", "local", "stac", "gee")


def make_backend(imagery: Mapping[str, Any], threads: int = 1) -> Backend:
    """The backend named by ``imagery['backend']``, configured from the imagery config section."""
    name = imagery.get("backend", "synthetic")
    if name == "synthetic":
        from minescan.imagery.backends.synthetic import SyntheticBackend

        return SyntheticBackend.from_config(imagery, threads)
    if name == "local":
        from minescan.imagery.backends.local import LocalBackend

        return LocalBackend.from_config(imagery, threads)
    if name == "stac":
        from minescan.imagery.backends.stac import StacBackend

        return StacBackend.from_config(imagery, threads)
    if name == "gee":
        from minescan.imagery.backends.gee import GeeBackend

        return GeeBackend.from_config(imagery, threads)
    raise MinescanInputError(
        "config", f"imagery.backend {name!r} is unknown", f"use one of {BACKENDS}"
    )
