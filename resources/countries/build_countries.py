"""Rebuild ``countries.geojson`` from the Natural Earth lowres shapefile of geopandas 0.14.4.

    pip download geopandas==0.14.4 --no-deps -d /tmp/gpd
    cd /tmp/gpd && unzip -q geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*'
    python resources/countries/build_countries.py \
        /tmp/gpd/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp

See README.md in this folder for the source, licence and the code fixes applied.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyogrio

# Natural Earth rows whose ``iso_a3`` is not the ISO 3166-1 alpha-3 code of the land they
# cover: "-99" (no code) or Natural Earth's own code for a territory that ISO counts as part of
# a member state. France and Norway carry "-99" in Natural Earth itself; geopandas already
# replaced those with FRA and NOR, and the entries stay here for other Natural Earth releases.
ISO3_BY_NAME = {
    "France": "FRA",
    "Norway": "NOR",
    "Kosovo": "XKX",  # no ISO code; XKX as GeoNames and minescan.grid.ancillary use
    "Somaliland": "SOM",  # Natural Earth "SOL"; ISO counts it as part of Somalia
    "N. Cyprus": "CYP",  # Natural Earth "CYN"; ISO counts it as part of Cyprus
}


def main(shapefile: str) -> None:
    frame = pyogrio.read_dataframe(shapefile, columns=["name", "iso_a3", "continent"])
    patch = frame["name"].map(ISO3_BY_NAME)
    frame["iso_a3"] = patch.fillna(frame["iso_a3"])
    frame = frame[["iso_a3", "name", "continent", "geometry"]].sort_values(
        ["iso_a3", "name"], ignore_index=True
    )
    target = Path(__file__).with_name("countries.geojson")
    pyogrio.write_dataframe(frame, target, driver="GeoJSON", COORDINATE_PRECISION=6)
    print(f"{target}: {len(frame)} rows, {frame['iso_a3'].nunique()} codes")


if __name__ == "__main__":
    main(sys.argv[1])
