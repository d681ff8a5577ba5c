"""The Sentinel-2 bands minescan knows, with their native resolution and where they exist.

Names follow Earth Engine's ``COPERNICUS/S2_SR_HARMONIZED`` (``B2``, ``B8A``, ``TCI_R``); the
per-band files of a Sentinel-2 product (``B02``) and STAC asset names are mapped onto them.
The seed's ``TCLR/TCLG/TCLB`` are ``TCI_R/TCI_G/TCI_B`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from minescan.errors import MinescanInputError

MINE_BAND = "_mine"
NODATA = 0  # Sentinel-2's own no-data value; valid reflectance is clipped to >= 1
DEFAULT_BANDS = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12")
RGB = ("B4", "B3", "B2")


@dataclass(frozen=True)
class Band:
    name: str
    wavelength_nm: int | None
    resolution_m: int
    toa_only: bool = False
    """Only in top-of-atmosphere (L1C) products, e.g. the cirrus band B10."""
    description: str = ""


BANDS: dict[str, Band] = {
    b.name: b
    for b in (
        Band("B1", 443, 60, description="coastal aerosol"),
        Band("B2", 490, 10, description="blue"),
        Band("B3", 560, 10, description="green"),
        Band("B4", 665, 10, description="red"),
        Band("B5", 705, 20, description="red edge 1"),
        Band("B6", 740, 20, description="red edge 2"),
        Band("B7", 783, 20, description="red edge 3"),
        Band("B8", 842, 10, description="near infrared"),
        Band("B8A", 865, 20, description="narrow near infrared"),
        Band("B9", 945, 60, description="water vapour"),
        Band("B10", 1375, 60, toa_only=True, description="cirrus (top of atmosphere only)"),
        Band("B11", 1610, 20, description="shortwave infrared 1"),
        Band("B12", 2190, 20, description="shortwave infrared 2"),
        Band("AOT", None, 10, description="aerosol optical thickness x 1000"),
        Band("TCI_R", None, 10, description="true colour red, 0-255"),
        Band("TCI_G", None, 10, description="true colour green, 0-255"),
        Band("TCI_B", None, 10, description="true colour blue, 0-255"),
    )
}


def check_bands(bands: Sequence[str], key: str = "imagery.bands") -> tuple[str, ...]:
    """The configured band list, validated: known names, no duplicates, not empty."""
    names = tuple(str(b) for b in bands)
    unknown = [b for b in names if b not in BANDS]
    if unknown:
        raise MinescanInputError(
            "config",
            f"{key} has unknown band name(s) {unknown}",
            f"use names from {sorted(BANDS)} (Earth Engine spelling: B2 not B02)",
        )
    if not names:
        raise MinescanInputError("config", f"{key} is empty", f"list bands, e.g. {DEFAULT_BANDS}")
    if len(set(names)) != len(names):
        raise MinescanInputError("config", f"{key} lists a band twice: {names}", "remove it")
    return names


def normalise_band_name(token: str) -> str | None:
    """``B02``/``b2``/``B8A``/``AOT`` -> the minescan name, or None when it is no known band."""
    upper = token.upper()
    if upper.startswith("B") and upper[1:].isdigit():
        upper = f"B{int(upper[1:])}"
    return upper if upper in BANDS else None


# Processing levels a composite can be built from (``imagery.level``). Tiles are reflectance x
# 10000 either way: surface (Level-2A) or top-of-atmosphere (Level-1C, what the shipped chip
# models read: the gallery model's RGB as B4, B3, B2 digital numbers scaled by 1/3000).
LEVELS = {
    "l2a": "Level-2A surface reflectance",
    "l1c": "Level-1C top-of-atmosphere reflectance",
}
L2A_ONLY = ("AOT", "TCI_R", "TCI_G", "TCI_B")  # Sen2Cor products; not in Earth Engine's L1C


def check_level(level: object, bands: Sequence[str]) -> str:
    """``imagery.level`` and the bands it can give: B10 only in Level-1C; AOT and the
    true-colour TCI bands only in Level-2A."""
    name = str(level or "l2a").lower()
    if name not in LEVELS:
        raise MinescanInputError(
            "config", f"imagery.level {level!r} is unknown", f"use one of {sorted(LEVELS)}"
        )
    if name == "l2a":
        toa = [b for b in bands if BANDS[b].toa_only]
        if toa:
            raise MinescanInputError(
                "config",
                f"imagery.bands {toa} exist only in Level-1C (top-of-atmosphere) data, and "
                "imagery.level is l2a",
                "drop them, or set imagery.level: l1c (Earth Engine COPERNICUS/S2_HARMONIZED)",
            )
    else:
        surface = [b for b in bands if b in L2A_ONLY]
        if surface:
            raise MinescanInputError(
                "config",
                f"imagery.bands {surface} exist only in Level-2A products, and imagery.level is "
                "l1c",
                "drop them from imagery.bands, or set imagery.level: l2a",
            )
    return name
