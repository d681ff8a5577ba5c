"""The web map's builder on small GeoDataFrames: layers, their format above the size limit,
popups and links, preview thumbnails warped onto Web Mercator, and the page's files (no
browser: tests/e2e/test_map_and_report.py opens the page in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image
from pyproj import Transformer
from shapely.geometry import box

from minescan.webmap.layers import LayerSpec, read_layer
from minescan.webmap.page import build_map
from minescan.webmap.thumbnails import warp_thumbnail

EPSG = 32750  # UTM 50S, the demo's zone
SIDE = 1280.0


def _cells(n: int = 6, origin=(520_000.0, 9_950_000.0)) -> gpd.GeoDataFrame:
    """``n`` cells of 1.28 km in a row, in UTM, with the grid's columns."""
    rows = []
    for k in range(n):
        xmin, ymin = origin[0] + k * SIDE, origin[1]
        rows.append(
            {
                "cell_id": f"z16_{EPSG}_{k}_0",
                "name": f"cell_{k}",
                "zoom": 16,
                "label": "positive" if k % 2 == 0 else "negative",
                "overlap_fraction": 0.1 * k,
                "country": "IDN",
                "climate": "Af",
                "shard": "s0",
                "epsg": EPSG,
                "xmin": xmin,
                "ymin": ymin,
                "xmax": xmin + SIDE,
                "ymax": ymin + SIDE,
                "geometry": box(xmin, ymin, xmin + SIDE, ymin + SIDE),
            }
        )
    return gpd.GeoDataFrame(rows, crs=EPSG).to_crs(4326)


def _manifest(folder: Path) -> dict:
    text = (folder / "layers" / "index.js").read_text()
    return json.loads(text[text.index("{") : text.rindex("}") + 1])


def _inline(folder: Path, key: str) -> dict:
    text = (folder / "layers" / f"{key}.js").read_text()
    assert text.startswith(f'MINESCAN_DATA["{key}"] = ')
    return json.loads(text[text.index("=") + 1 :].strip().rstrip(";"))


@pytest.fixture
def cells_file(tmp_path) -> Path:
    path = tmp_path / "cells.parquet"
    _cells().to_parquet(path)
    return path


def _spec(path: Path, **options) -> LayerSpec:
    base = {
        "key": "grid",
        "title": "Grid",
        "path": str(path),
        "popup": ("name", "label", "overlap_fraction", "country"),
        "style": {"weight": 1},
        "colour_by": "label",
        "colours": {"positive": "#f00", "negative": "#00f"},
    }
    return LayerSpec(**{**base, **options})


def test_a_small_layer_is_a_script_with_every_feature_and_its_popup(tmp_path, cells_file):
    links = {"tile": "../tiles/z{zoom}/{shard}/{cell_id}.tif"}
    manifest = build_map(tmp_path / "map" / "index.html", [_spec(cells_file, links=links)])
    entry = manifest["layers"][0]
    assert entry["format"] == "script" and entry["count"] == 6
    assert entry["popup"] == ["name", "label", "overlap_fraction", "country", "tile"]
    data = _inline(tmp_path / "map", "grid")
    assert len(data["features"]) == 6
    first = data["features"][0]["properties"]
    assert first["name"] == "cell_0" and first["tile"] == f"../tiles/z16/s0/z16_{EPSG}_0_0.tif"
    page = (tmp_path / "map" / "index.html").read_text()
    # every script the page loads is a file beside it: nothing from the network
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert "layers/grid.js" in sources
    assert all((tmp_path / "map" / src).is_file() for src in sources)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert (tmp_path / "map" / "lib" / "leaflet" / "LICENSE").is_file()
    assert not (tmp_path / "map" / "lib" / "flatgeobuf").exists()  # only when a layer needs it


def test_above_the_size_limit_a_layer_goes_out_as_flatgeobuf(tmp_path, cells_file):
    manifest = build_map(tmp_path / "map" / "index.html", [_spec(cells_file)], inline_max_bytes=100)
    entry = manifest["layers"][0]
    assert entry["format"] == "fgb" and entry["src"] == "layers/grid.fgb"
    back = gpd.read_file(tmp_path / "map" / entry["src"])
    assert len(back) == 6 and back.crs.to_epsg() == 4326
    assert set(back["name"]) == {f"cell_{k}" for k in range(6)}
    assert (tmp_path / "map" / "lib" / "flatgeobuf" / "flatgeobuf-geojson.min.js").is_file()
    assert "flatgeobuf-geojson.min.js" in (tmp_path / "map" / "index.html").read_text()


def test_query_dissolve_joins_and_column_patterns(tmp_path, cells_file):
    kept = read_layer(_spec(cells_file, query="label == 'positive'"))
    assert list(kept["name"]) == ["cell_0", "cell_2", "cell_4"]
    region = read_layer(_spec(cells_file, dissolve=True, popup=("cells",), colour_by=None))
    assert len(region) == 1 and region.loc[0, "cells"] == 6
    assert region.geometry.iloc[0].area == pytest.approx(_cells().union_all().area, rel=1e-4)
    scores = pd.DataFrame({"cell_id": [f"z16_{EPSG}_{k}_0" for k in range(6)], "score": range(6)})
    joined = read_layer(_spec(cells_file, popup=("name", "score")), {"scores": scores})
    assert list(joined["score"]) == list(range(6))
    # a per-cell table without geometry (growth) takes its cells' shapes; popup patterns
    growth = tmp_path / "growth.parquet"
    pd.DataFrame(
        {
            "cell_id": [f"z16_{EPSG}_1_0", f"z16_{EPSG}_3_0"],
            "area_m2_2019": [10.0, 20.0],
            "area_m2_2023": [15.0, 25.0],
            "new_area_m2": [5.0, 5.0],
        }
    ).to_parquet(growth)
    grown = read_layer(
        _spec(
            growth,
            popup=("name", "area_m2_*", "new_area_m2"),
            colour_by=None,
            cells=str(cells_file),
        )
    )
    assert list(grown.columns) == [
        "name",
        "area_m2_2019",
        "area_m2_2023",
        "new_area_m2",
        "geometry",
    ]
    assert list(grown["name"]) == ["cell_1", "cell_3"] and grown.crs.to_epsg() == 4326


def test_a_thumbnail_is_warped_onto_the_cells_footprint():
    """Far from the zone's central meridian and the equator a UTM cell is rotated in Web
    Mercator (about 4 degrees here, in Norway): the warped thumbnail's corners are
    transparent and its bounds hold the cell."""
    epsg, xmin, ymin = 32633, 250_000.0, 7_000_000.0
    image = np.full((256, 256, 3), 200, np.uint8)
    pixels, (west, south, east, north) = warp_thumbnail(
        image, epsg, (xmin, ymin, xmin + 5120, ymin + 5120), size_px=64
    )
    assert pixels.shape[2] == 4 and max(pixels.shape[:2]) <= 72
    assert pixels[0, 0, 3] == 0 and pixels[pixels.shape[0] // 2, pixels.shape[1] // 2, 3] == 255
    to_lonlat = Transformer.from_crs(epsg, 4326, always_xy=True)
    for x, y in [(xmin, ymin), (xmin + 5120, ymin + 5120), (xmin, ymin + 5120)]:
        lon, lat = to_lonlat.transform(x, y)
        assert west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6


def test_previews_become_image_overlays_of_their_cells(tmp_path, cells_file):
    previews = tmp_path / "previews" / "s0"
    previews.mkdir(parents=True)
    for k in (0, 1):
        Image.new("RGB", (128, 128), (40 * k, 120, 60)).save(previews / f"z16_{EPSG}_{k}_0.jpg")
    Image.new("RGB", (8, 8)).save(previews / "not_a_cell.jpg")  # ignored
    group = {"key": "previews", "title": "Previews", "cells": cells_file, "folders": [previews]}
    manifest = build_map(
        tmp_path / "map" / "index.html", [_spec(cells_file)], previews=[group], thumb_px=32
    )
    images = manifest["previews"][0]["images"]
    assert [i["cell_id"] for i in images] == [f"z16_{EPSG}_0_0", f"z16_{EPSG}_1_0"]
    for image, cell in zip(images, _cells().itertuples(), strict=False):
        with Image.open(tmp_path / "map" / image["src"]) as thumb:
            assert thumb.format == "WEBP" and max(thumb.size) <= 40
        (south, west), (north, east) = image["bounds"]
        cx, cy = cell.geometry.centroid.x, cell.geometry.centroid.y
        assert west < cx < east and south < cy < north
    # the first view holds every layer
    (south, west), (north, east) = manifest["bounds"]
    assert (west, south, east, north) == pytest.approx(tuple(_cells().total_bounds), abs=1e-5)


def _pixel_footprint(tmp_path: Path) -> Path:
    """A disc of 60 px radius vectorised pixel by pixel at 10 m (the footprints stage's
    staircase edges), in UTM, with its area as the stage writes it."""
    from rasterio.features import shapes
    from rasterio.transform import from_origin
    from shapely.geometry import shape

    yy, xx = np.mgrid[:160, :160]
    mask = ((yy - 80) ** 2 + (xx - 80) ** 2 <= 60**2).astype("uint8")
    transform = from_origin(520_000.0, 9_951_600.0, 10.0, 10.0)
    polygons = [shape(g) for g, v in shapes(mask, mask=mask == 1, transform=transform) if v]
    frame = gpd.GeoDataFrame(
        {"footprint_id": ["f0"], "area_m2": [polygons[0].area]}, geometry=polygons, crs=EPSG
    )
    path = tmp_path / "footprints.parquet"
    frame.to_parquet(path)
    return path


def test_footprints_are_simplified_by_one_pixel_for_the_map(tmp_path):
    path = _pixel_footprint(tmp_path)
    spec = dict(key="fp", title="Footprints", path=str(path), popup=("footprint_id", "area_m2"))
    raw = read_layer(LayerSpec(**spec))
    thin = read_layer(LayerSpec(**spec, simplify_m=10.0))
    raw_vertices = shapely.get_num_coordinates(raw.geometry.values).sum()
    thin_vertices = shapely.get_num_coordinates(thin.geometry.values).sum()
    assert thin_vertices < raw_vertices / 3  # the staircase is gone
    # the shape drawn stays within a pixel of the footprint, and its area within 1 %
    back = thin.to_crs(EPSG).geometry.iloc[0]
    truth = gpd.read_parquet(path).geometry.iloc[0]
    assert back.hausdorff_distance(truth) <= 10.0 + 0.5
    assert abs(back.area - truth.area) / truth.area < 0.01
    # the popup keeps the stage's area of the unsimplified polygon
    assert thin["area_m2"].iloc[0] == pytest.approx(truth.area)
