"""Before any job: the imagery a run will read is there and says which band is which.

Without this a missing ``imagery.local.path`` is found only inside the tiles jobs, after the
grid, once per cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from minescan.errors import MinescanInputError
from minescan.imagery.backends.local import BAND_TOKEN, DEFAULT_PATTERNS, index_folder
from minescan.imagery.bands import check_bands, check_level

SOURCE = "config"


def check_raster_folder(
    folder: str | None,
    key: str,
    bands: Sequence[str],
    patterns: Sequence[str] | None = None,
    band_order: Sequence[str] | None = None,
    level: str | None = None,
) -> None:
    """``folder`` (named by config ``key``) exists, holds rasters, and one scene has ``bands``."""
    if not folder:
        raise MinescanInputError(SOURCE, f"{key} is not set", "give the folder of your rasters")
    root = Path(folder)
    if not root.is_dir():
        raise MinescanInputError(
            SOURCE,
            f"{key} {folder} is not a folder"
            + (" (it is a file)" if root.is_file() else " (it does not exist)"),
            "give the folder holding your GeoTIFFs or Sentinel-2 band files",
        )
    patterns = tuple(patterns or DEFAULT_PATTERNS)
    try:
        scenes = index_folder(root, patterns, band_order)
    except MinescanInputError as error:
        remedy = _beside_band_files(Path(error.source), patterns) or error.remedy
        raise MinescanInputError(error.source, f"{error.problem} ({key})", remedy) from None
    other = [s for s in scenes if level and s.level and s.level != level]
    if other:
        raise MinescanInputError(
            other[0].key,
            f"a {other[0].level.upper()} SAFE product in {key}, and imagery.level is {level} "
            f"({len(other)} such granule(s))",
            f"set imagery.level: {other[0].level}, or remove the products of the other level",
        )
    complete = [s for s in scenes if all(b in s.bands for b in bands)]
    if not complete:
        found = sorted({b for s in scenes for b in s.bands})
        missing = [b for b in bands if b not in found]
        raise MinescanInputError(
            SOURCE,
            f"{key} {folder}: no scene has every band of imagery.bands "
            + (f"(missing everywhere: {missing})" if missing else f"(bands found: {found})"),
            "add the band files, or list only the bands you have in imagery.bands",
        )


def _beside_band_files(path: Path, patterns: Sequence[str]) -> str | None:
    """The remedy when an unnamed raster (an RGB ``preview.tif``, a Sentinel-2 ``TCI``
    true-colour image) sits beside band files: leave it out with imagery.local.patterns."""
    if not path.is_file() or BAND_TOKEN.search(path.stem):
        return None
    bands = [p for p in path.parent.iterdir() if p.is_file() and BAND_TOKEN.search(p.stem)]
    if not bands:
        return None
    suffix = bands[0].suffix
    what = "a true-colour image (TCI), not a band" if "TCI" in path.stem.upper() else "no band"
    return (
        f"{path.name} is {what}, beside band files such as {bands[0].name}: leave it out with "
        f"imagery.local.patterns, e.g. ['*_B??{suffix}'] (band_order is for multi-band files "
        "whose bands have no names)"
    )


def check_imagery_inputs(imagery: Mapping[str, Any]) -> None:
    """The local backend's folder, when it is the configured backend."""
    if imagery.get("backend") != "local":
        return
    check_level(imagery.get("level"), check_bands(imagery["bands"]))
    local = imagery.get("local") or {}
    check_raster_folder(
        local.get("path"),
        "imagery.local.path",
        list(imagery["bands"]),
        local.get("patterns"),
        local.get("band_order"),
        str(imagery.get("level") or "l2a"),
    )


__all__ = ["check_imagery_inputs", "check_raster_folder"]
