"""Cut the embedded multi-year sample from the Amazon Mining Watch yearly layers.

Usage (from the repository root, with the shared data beside it):

    python resources/amw_sample/cut_sample.py ../shared/data/polygons/amazon_mining_watch \
        resources/amw_sample/amw_peixoto_sample.gpkg

Takes the 2018 baseline and the yearly new-mining layers of 2019-2024 (the quarterly 2025
layers are left out), clips them to ``BOX`` and removes from each year's polygons what an earlier
year already mapped, so that every point of the sample belongs to exactly one polygon and its
``year`` is the first year Amazon Mining Watch mapped it there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

# Gold mining along the Peixoto de Azevedo and Teles Pires rivers (Tapajós basin), northern
# Mato Grosso, Brazil: about 11 x 11 km.
BOX = (-55.125, -10.125, -55.025, -10.025)
YEARS = range(2018, 2025)
MIN_AREA_M2 = 100.0  # slivers left by the differences (one 10 m pixel)


def cut(folder: Path) -> gpd.GeoDataFrame:
    box = shapely.box(*BOX)
    earlier = shapely.Polygon()
    frames = []
    for year in YEARS:
        layer = gpd.read_file(folder / f"mining_{year}00_simplified.geojson")
        layer = layer[layer.intersects(box)]
        geoms = shapely.intersection(layer.geometry.to_numpy(), box)
        geoms = shapely.difference(geoms, earlier)
        parts = shapely.get_parts(geoms)
        parts = parts[shapely.get_type_id(parts) == 3]
        frames.append(gpd.GeoDataFrame({"year": [year] * len(parts)}, geometry=parts, crs=4326))
        earlier = shapely.union_all([earlier, *geoms])
    sample = pd.concat(frames, ignore_index=True)
    sample = gpd.GeoDataFrame(sample, geometry="geometry", crs=4326)
    area = sample.to_crs(sample.estimate_utm_crs()).area
    sample = sample[area.to_numpy() >= MIN_AREA_M2].reset_index(drop=True)
    sample["year"] = sample["year"].astype("int32")
    sample["geometry"] = shapely.set_precision(sample.geometry.to_numpy(), 1e-7)
    return sample[~sample.geometry.is_empty].reset_index(drop=True)


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    sample = cut(source)
    sample.to_file(target, driver="GPKG", layer="amw_sample")
    utm = sample.to_crs(sample.estimate_utm_crs())
    print(sample.groupby("year").size().to_dict())
    print((utm.area.groupby(sample["year"]).sum() / 1e6).round(3).to_dict())
