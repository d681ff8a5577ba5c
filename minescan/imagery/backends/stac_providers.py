"""What minescan knows of each STAC provider's Sentinel-2 L2A collection: asset keys, whether its
COGs carry the processing-baseline 04.00 offset, and whether its URLs must be signed.

Asset keys are those of the collections' items (``item_assets``), Level-2A only: no ``B10``
(cirrus exists only in Level-1C) and no ``TCI_*`` single bands.

The offset. From processing baseline 04.00 (25 January 2022, and every Collection-1 reprocessed
product, baseline 05.xx, whatever its sensing date) ESA's digital numbers are reflectance x
10000 + 1000 (``BOA_ADD_OFFSET`` -1000). Providers differ:

* Earth Search ``sentinel-2-l2a``: Element 84 subtract it when they convert the products to
  COGs, from the scenes they processed after 27 February 2022 on (cirrus-earth-search issue
  21), but many items say ``earthsearch:boa_offset_applied: false`` all the same
  (Element84/earth-search issues 66, 71; cirrus-earth-search 33): subtracting again takes
  0.1 off every reflectance. Scenes of 25 January to 27 February 2022 were reprocessed only
  in part, and some still carry the offset (Element84/earth-search issue 66:
  ``S2B_52SFA_20220126_0_L2A`` holds ESA's numbers), with the same flag. So nothing is
  subtracted, except from items of that window not flagged as applied, which are decided
  from their own pixels (``UNDECIDED``; ``stac.StacBackend._probe_offset``).
* Earth Search ``sentinel-2-c1-l2a``: never subtracted in the COGs (``raster:bands`` offset
  -0.1): 1000 is subtracted for baseline >= 04.00.
* Planetary Computer ``sentinel-2-l2a``: ESA's numbers as they are: 1000 subtracted for
  baseline >= 04.00.
* Any other API: 1000 for baseline >= 04.00, unless ``earthsearch:boa_offset_applied`` is true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

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
# Earth Search sentinel-2-l2a: the sensing dates whose COGs may still carry the offset.
UNPROCESSED_WINDOW = ("2022-01-25", "2022-02-28")
UNDECIDED = -1  # an item whose offset its pixels decide
# Bands without the offset: AOT (x 1000, no BOA_ADD_OFFSET), SCL and the 8-bit true colour.
NO_OFFSET_BANDS = frozenset({"AOT", "SCL", "TCI_R", "TCI_G", "TCI_B"})
OFFSET_RULES = {
    "applied": "the provider's COGs have the baseline 04.00 offset removed: nothing subtracted",
    "earth-search": "nothing subtracted, except from items of baseline >= 04.00 sensed "
    f"{UNPROCESSED_WINDOW[0]} to {UNPROCESSED_WINDOW[1]} and not flagged "
    "earthsearch:boa_offset_applied, whose own pixels decide: 1000 subtracted where their "
    "darkest clear visible pixels (1st percentile) are >= 1000",
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
        return "earth-search" if collection == "sentinel-2-l2a" else "baseline"
    if provider == "planetary-computer" or "planetarycomputer.microsoft.com" in url:
        return "baseline"
    return "flag"


def baseline_offset(properties: Mapping[str, Any], rule: str = "flag") -> int:
    """Digital-number offset to subtract from an item's bands under ``rule``; ``UNDECIDED``
    when its pixels must tell (rule ``earth-search``)."""
    if rule == "applied":
        return 0
    if rule == "earth-search":
        day = str(properties.get("datetime", ""))[:10]
        in_window = UNPROCESSED_WINDOW[0] <= day <= UNPROCESSED_WINDOW[1]
        if not in_window or properties.get("earthsearch:boa_offset_applied"):
            return 0
        return UNDECIDED if baseline_offset(properties, "baseline") else 0
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


def offset_from_pixels(
    scl: np.ndarray, values: np.ndarray, masked_scl: Sequence[int], band: str
) -> tuple[int, str]:
    """Whether an item's ``values`` of a visible ``band`` still carry the offset: with it,
    reflectance 0 reads 1000 and even the darkest clear pixels (vegetation, water: reflectance
    0.02-0.08) are >= 1000; without it they are not. The offset and the evidence."""
    masked = np.zeros(256, dtype=bool)
    masked[list(masked_scl)] = True
    clear = values[~masked[scl] & (values > 0)]
    if clear.size == 0:
        return 0, f"no clear pixel of {band}: 0"
    dark = float(np.percentile(clear, 1))
    offset = BASELINE_OFFSET if dark >= BASELINE_OFFSET else 0
    return offset, f"{band} 1st percentile {dark:.0f}: {offset}"
