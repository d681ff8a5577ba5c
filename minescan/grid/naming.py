"""The seed's cell names, ``LAT_LON_ZoomLevel_OverlapPct``, and the stable machine ids.

LAT and LON are the centroid in degrees x 1000 as integers, a leading ``0`` standing for the
minus sign (-29.5 -> ``029500``); OverlapPct is the overlap in percent with two decimals, or
``neg`` for a negative cell. Names are for people (and the seed's R scripts); ``cell_id``,
``z{zoom}_{epsg}_{i}_{j}``, is the key: unique, and parent/child ids follow by arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

NEGATIVE = "neg"
_NAME = re.compile(r"^(0?\d+)_(0?\d+)_(\d+)_(neg|\d+\.\d{2})$")
_CELL_ID = re.compile(r"^z(\d+)_(\d{5})_(-?\d+)_(-?\d+)$")


def _encode_degrees(values: np.ndarray) -> list[str]:
    milli = np.rint(np.asarray(values, float) * 1000).astype(np.int64)
    return [f"0{-m}" if m < 0 else str(m) for m in milli.tolist()]


def _decode_degrees(text: str) -> float:
    negative = len(text) > 1 and text.startswith("0")
    value = int(text) / 1000
    return -value if negative else value


def cell_names(
    lat: np.ndarray, lon: np.ndarray, zoom: int, overlap: np.ndarray, positive: np.ndarray
) -> np.ndarray:
    """Names for many cells at once (vectorised)."""
    pct = [
        f"{100 * o:.2f}" if p else NEGATIVE
        for o, p in zip(
            np.asarray(overlap, float).tolist(), np.asarray(positive, bool).tolist(), strict=True
        )
    ]
    names = [
        f"{a}_{b}_{int(zoom)}_{c}"
        for a, b, c in zip(_encode_degrees(lat), _encode_degrees(lon), pct, strict=True)
    ]
    return np.array(names, dtype=object)


@dataclass(frozen=True)
class ParsedName:
    lat: float
    lon: float
    zoom: int
    overlap_pct: float | None  # None for negatives


def parse_name(name: str) -> ParsedName:
    match = _NAME.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a cell name of the form LAT_LON_ZoomLevel_OverlapPct")
    lat, lon, zoom, pct = match.groups()
    return ParsedName(
        _decode_degrees(lat),
        _decode_degrees(lon),
        int(zoom),
        None if pct == NEGATIVE else float(pct),
    )


def cell_ids(zoom: int, epsg: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    columns = (np.asarray(a, np.int64).tolist() for a in (epsg, i, j))
    return np.array(
        [f"z{int(zoom)}_{e}_{x}_{y}" for e, x, y in zip(*columns, strict=True)], dtype=object
    )


def parse_cell_id(cell_id: str) -> tuple[int, int, int, int]:
    """(zoom, epsg, i, j) of a cell id."""
    match = _CELL_ID.match(cell_id)
    if match is None:
        raise ValueError(f"{cell_id!r} is not a cell id of the form z<zoom>_<epsg>_<i>_<j>")
    zoom, epsg, i, j = (int(g) for g in match.groups())
    return zoom, epsg, i, j
