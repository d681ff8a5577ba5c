"""Country outlines by ISO 3166-1 alpha-3 code, offline.

Source: Natural Earth 1:110m admin-0 countries (public domain) as shipped in geopandas 0.14.4,
converted to ``resources/countries/countries.geojson`` with a few codes fixed (see the README
there). At 1:110m small countries (Singapore, Andorra, most small islands) are missing and
borders are off by up to a few kilometres: fine for choosing a scan region, not for counting
what lies in a country.

    python -m minescan.grid.countries      # lists the codes and names
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from minescan.errors import MinescanInputError

REPO_ROOT = Path(__file__).resolve().parents[2]
COUNTRIES_FILE = REPO_ROOT / "resources" / "countries" / "countries.geojson"
LIST_COMMAND = "python -m minescan.grid.countries"


@lru_cache(maxsize=1)
def countries() -> gpd.GeoDataFrame:
    """Every country outline: ``iso_a3``, ``name``, ``continent``, lon/lat ``geometry``."""
    return pyogrio.read_dataframe(COUNTRIES_FILE)


def parse_codes(codes: str | Iterable[str]) -> list[str]:
    """``"BRA"``, ``"bra, per"`` or ``["BRA", "PER"]`` as upper-case codes, in order."""
    parts = codes.split(",") if isinstance(codes, str) else list(codes)
    return [str(code).strip().upper() for code in parts if str(code).strip()]


def country_geometry(codes: str | Iterable[str]) -> shapely.Geometry:
    """The union of the countries' outlines (lon/lat) for ISO3 codes (see ``parse_codes``)."""
    wanted = parse_codes(codes)
    table = countries()
    unknown = sorted(set(wanted) - set(table["iso_a3"]))
    if not wanted or unknown:
        raise MinescanInputError(
            "region",
            f"unknown ISO 3166-1 alpha-3 country code(s) {unknown or wanted!r} "
            f"(Natural Earth 1:110m, {table['iso_a3'].nunique()} codes)",
            f"`{LIST_COMMAND}` lists the valid codes; for a country missing there give a polygon "
            "file or a bounding box",
        )
    chosen = table[table["iso_a3"].isin(wanted)]
    return shapely.union_all(chosen.geometry.to_numpy())


__all__ = ["COUNTRIES_FILE", "countries", "country_geometry", "parse_codes"]


def main() -> None:
    table = countries().sort_values("iso_a3")
    for code, name in zip(table["iso_a3"], table["name"], strict=True):
        print(f"{code}  {name}")


if __name__ == "__main__":
    main()
