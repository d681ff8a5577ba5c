"""What minescan knows of each STAC provider's Sentinel-2 L2A collection: asset keys, whether its
COGs carry the processing-baseline 04.00 offset, and whether its URLs must be signed.

Asset keys are those of the collections' items (``item_assets``), Level-2A only: no ``B10``
(cirrus exists only in Level-1C) and no ``TCI_*`` single bands.

The offset. From processing baseline 04.00 (25 January 2022, and every Collection-1 reprocessed
product, baseline 05.xx, whatever its sensing date) ESA's digital numbers are reflectance x
10000 + 1000 (``BOA_ADD_OFFSET`` -1000). Providers differ:

* Earth Search ``sentinel-2-l2a``: Element 84 subtract it when they convert the products to
  COGs, but many items say ``earthsearch:boa_offset_applied: false`` all the same
  (Element84/earth-search issues 23, 66, 71; cirrus-earth-search 33): subtracting again takes
  0.1 off every reflectance from 2022 on. The flag is ignored: nothing is subtracted.
* Earth Search ``sentinel-2-c1-l2a``: never subtracted in the COGs (``raster:bands`` offset
  -0.1): 1000 is subtracted for baseline >= 04.00.
* Planetary Computer ``sentinel-2-l2a``: ESA's numbers as they are: 1000 subtracted for
  baseline >= 04.00.
* Any other API: 1000 for baseline >= 04.00, unless ``earthsearch:boa_offset_applied`` is true.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EARTH_SEARCH_URL = "https://earth-search.aws.element84.com/v1"
PLANETARY_COMPUTER_URL = "https://planetarycomputer.microsoft.com/api/stac/v1"
EARTH_SEARCH_ASSETS = {
    "B1": "coastal",
    "B2": "blue",
    "B3": "green",
    "B4": "red",
    "B5": "rededge1",
    "B6": "rededge2",
    "B7": "rededge3",
    "B8": "nir",
    "B8A": "nir08",
    "B9": "nir09",
    "B11": "swir16",
    "B12": "swir22",
    "AOT": "aot",
    "SCL": "scl",
}
PLANETARY_COMPUTER_ASSETS = {
    **{b: f"B{int(b[1:]):02d}" for b in EARTH_SEARCH_ASSETS if b[1:].isdigit()},
    "B8A": "B8A",
    "AOT": "AOT",
    "SCL": "SCL",
}
PROVIDERS: dict[str, dict[str, Any]] = {
    "earth-search": {
        "url": EARTH_SEARCH_URL,
        "collection": "sentinel-2-l2a",
        "assets": EARTH_SEARCH_ASSETS,
    },
    "earth-search-c1": {
        "url": EARTH_SEARCH_URL,
        "collection": "sentinel-2-c1-l2a",
        "assets": EARTH_SEARCH_ASSETS,
    },
    "planetary-computer": {
        "url": PLANETARY_COMPUTER_URL,
        "collection": "sentinel-2-l2a",
        "assets": PLANETARY_COMPUTER_ASSETS,
    },
}
BASELINE_OFFSET = 1000
BASELINE_WITH_OFFSET = 4.0
OFFSET_RULES = {
    "applied": "the provider's COGs have the baseline 04.00 offset removed: nothing subtracted",
    "baseline": "1000 subtracted for processing baseline >= 04.00",
    "flag": "1000 subtracted for processing baseline >= 04.00 unless "
    "earthsearch:boa_offset_applied",
}


def offset_rule(provider: str, url: str, collection: str, setting: str = "auto") -> str:
    """The offset rule of a provider's collection (module docstring), or the configured one.
    A preset provider keeps its rule with another URL (a mirror of the same COGs)."""
    if setting != "auto":
        return setting
    if provider.startswith("earth-search") or "earth-search.aws.element84.com" in url:
        return "applied" if collection == "sentinel-2-l2a" else "baseline"
    if provider == "planetary-computer" or "planetarycomputer.microsoft.com" in url:
        return "baseline"
    return "flag"


def baseline_offset(properties: Mapping[str, Any], rule: str = "flag") -> int:
    """Digital-number offset to subtract from an item's bands under ``rule``."""
    if rule == "applied":
        return 0
    if rule == "flag" and properties.get("earthsearch:boa_offset_applied"):
        return 0
    baseline = properties.get("s2:processing_baseline")
    try:
        return BASELINE_OFFSET if float(baseline) >= BASELINE_WITH_OFFSET else 0
    except (TypeError, ValueError):
        return 0


def needs_signing(provider: str, url: str) -> bool:
    """Planetary Computer's asset URLs need a SAS token; unsigned they answer 403."""
    return provider == "planetary-computer" or "planetarycomputer.microsoft.com" in url
