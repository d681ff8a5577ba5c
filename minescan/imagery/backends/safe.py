"""Unzipped Sentinel-2 SAFE products (what the Copernicus Browser and Data Space deliver) as one
scene per granule, for the local backend.

A Level-2A granule holds each band at several pixel sizes, in ``IMG_DATA/R10m``, ``R20m`` and
``R60m`` with ``_10m``/``_20m``/``_60m`` suffixes (``T33UUU_20220315T101021_B02_10m.jp2``); a
Level-1C granule holds each band once in ``IMG_DATA`` (``T33UUU_20220315T101021_B02.jp2``).
Every band is taken at its finest pixel size; the true-colour image, the scene classification
and the water vapour are not spectral bands and are left out. From processing baseline 04.00
on, the digital numbers carry an offset that the product's metadata file states per band
(``MTD_MSIL2A.xml``: ``BOA_ADD_OFFSET``, ``MTD_MSIL1C.xml``: ``RADIO_ADD_OFFSET``, -1000):
reflectance x 10000 = DN + offset (quantification value 10000).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from minescan.errors import MinescanInputError
from minescan.imagery.bands import normalise_band_name

# ESA's band_id order in the metadata's offset and spectral lists.
BAND_IDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
SAFE_FILE = re.compile(
    r"_(?P<band>B\d{2}|B8A|AOT|TCI|SCL|WVP)(?:_(?P<res>10|20|60)m)?$", re.IGNORECASE
)
LEVELS = {"MSIL2A": "l2a", "MSIL1C": "l1c"}


@dataclass(frozen=True)
class SafeProduct:
    """What a SAFE product's metadata says about its numbers."""

    path: Path
    level: str
    baseline: str | None
    offsets: dict[str, int] = field(default_factory=dict)


def in_safe(path: Path) -> bool:
    return any(part.upper().endswith(".SAFE") for part in path.parts[:-1])


def granule_of(path: Path) -> Path | None:
    """The granule folder of a band file inside a SAFE product (``.../GRANULE/<id>``), else
    None."""
    parts = path.parts
    if "IMG_DATA" not in parts or "GRANULE" not in parts:
        return None
    granule = parts.index("GRANULE")
    if granule + 1 >= len(parts) or not any(p.upper().endswith(".SAFE") for p in parts[:granule]):
        return None
    return Path(*parts[: granule + 2])


def safe_band(path: Path) -> tuple[str | None, int | None]:
    """(minescan band name or None for a non-spectral file, pixel size from the suffix)."""
    match = SAFE_FILE.search(path.stem)
    if match is None:
        return None, None
    res = int(match.group("res")) if match.group("res") else None
    return normalise_band_name(match.group("band")), res


@lru_cache(maxsize=256)
def read_product(granule: Path) -> SafeProduct:
    """The level, processing baseline and per-band offsets of the product a granule is in."""
    root = granule.parent.parent
    files = sorted(root.glob("MTD_MSIL*.xml"))
    if not files:
        raise MinescanInputError(
            root,
            "SAFE product without its MTD_MSIL2A.xml or MTD_MSIL1C.xml",
            "unzip the whole product: its metadata file says whether the numbers carry the "
            "processing-baseline 04.00 offset",
        )
    path = files[0]
    level = LEVELS.get(path.stem.removeprefix("MTD_").upper(), "l2a")
    try:
        tree = ElementTree.parse(path)
    except ElementTree.ParseError as error:
        raise MinescanInputError(
            path, f"cannot be read as XML ({error})", "unzip it again"
        ) from None
    baseline, offsets, names = None, {}, {}
    for element in tree.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "PROCESSING_BASELINE":
            baseline = (element.text or "").strip()
        elif tag == "Spectral_Information" and element.get("bandId") is not None:
            names[element.get("bandId")] = normalise_band_name(element.get("physicalBand", ""))
        elif tag in ("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET") and element.get("band_id"):
            offsets[element.get("band_id")] = int(float(element.text or 0))
    by_band = {}
    for band_id, offset in offsets.items():
        name = names.get(band_id) or BAND_IDS[int(band_id)]
        by_band[name] = offset
    return SafeProduct(path, level, baseline, by_band)
