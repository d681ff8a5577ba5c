"""What a person sees when the web map opens, in headless Chromium, on a small results folder
made here (no Snakemake run): the demo's real polygons of East Kalimantan and of the Tapajós
(resources/), the demo's scan region, grid cells and pixel-edged footprints made from them.

The first view must be the scan region, with its cells at a visible size, over the offline
Natural Earth basemap; the "Go to" buttons must bring the other regions into view. Skipped,
with the reason, where no Chromium runs (tests/e2e/browser.sh installs it as root on Debian).
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image
from rasterio.features import rasterize, shapes
from rasterio.transform import from_origin
from shapely.geometry import box, shape

from minescan.webmap import catalogue
from minescan.webmap.browser import BASEMAP_PROBE, chromium, console_errors, why_no_browser
from minescan.webmap.layers import LayerSpec
from minescan.webmap.page import build_map

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[3]
KUTAI = REPO / "resources" / "maus_sample" / "maus_v1_idn_kutai_demo.gpkg"
PEIXOTO = REPO / "resources" / "amw_sample" / "amw_peixoto_sample.gpkg"
SCAN_REGION = (117.03, -0.55, 117.53, -0.05)  # config/config.yaml, pyramid.region
WIDTH, HEIGHT = 1400, 900
LAND_RGB = (0xF1, 0xEE, 0xE6)  # map.js BASEMAP_STYLE.land
SCREENSHOT = REPO / "results" / "screenshots" / "map_first_view.png"


def _cells(polygons: gpd.GeoDataFrame, side_m: float, epsg: int, bounds=None) -> gpd.GeoDataFrame:
    """Square cells of ``side_m`` on a UTM grid over ``bounds`` (lon/lat) or the polygons,
    labelled positive where they meet a polygon."""
    area = box(*(bounds or polygons.total_bounds))
    west, south, east, north = gpd.GeoSeries([area], crs=4326).to_crs(epsg).total_bounds
    xs = np.arange(np.floor(west / side_m), np.ceil(east / side_m)) * side_m
    ys = np.arange(np.floor(south / side_m), np.ceil(north / side_m)) * side_m
    cells = [box(x, y, x + side_m, y + side_m) for x in xs for y in ys]
    frame = gpd.GeoDataFrame(geometry=cells, crs=epsg)
    hit = frame.intersects(polygons.to_crs(epsg).union_all())
    frame["cell_id"] = [f"c{epsg}_{k}" for k in range(len(frame))]
    frame["name"] = frame["cell_id"]
    frame["label"] = np.where(hit, "positive", "negative")
    return frame.to_crs(4326)


def _pixel_footprints(polygons: gpd.GeoDataFrame, epsg: int, pixel_m: float) -> gpd.GeoDataFrame:
    """The polygons rasterised at ``pixel_m`` and vectorised pixel by pixel, as the footprints
    stage writes its masks' outlines (a vertex at every pixel step)."""
    utm = polygons.to_crs(epsg)
    west, south, east, north = utm.total_bounds
    transform = from_origin(west, north, pixel_m, pixel_m)
    size = (int(np.ceil((north - south) / pixel_m)), int(np.ceil((east - west) / pixel_m)))
    mask = rasterize(utm.geometry, out_shape=size, transform=transform, dtype="uint8")
    outlines = [shape(g) for g, v in shapes(mask, mask=mask == 1, transform=transform) if v]
    frame = gpd.GeoDataFrame(geometry=outlines, crs=epsg)
    frame["footprint_id"] = [f"f{k}" for k in range(len(frame))]
    frame["area_m2"] = frame.area
    return frame


@pytest.fixture(scope="module")
def results_map(tmp_path_factory) -> tuple[Path, dict]:
    return build_results_map(tmp_path_factory.mktemp("results"))


def build_results_map(root: Path) -> tuple[Path, dict]:
    """A results folder of the demo's shape in ``root`` and its map (regions as
    workflow/rules/common_webmap.smk lists them): the page and its manifest."""
    kutai, peixoto = gpd.read_file(KUTAI), gpd.read_file(PEIXOTO)
    kutai["polygon_id"] = range(len(kutai))
    files = {
        "polygons": kutai,
        "region": _cells(kutai, 10_240.0, 32750, SCAN_REGION),
        "grid_z15": _cells(kutai, 2_560.0, 32750),
        "growth_z15": _cells(peixoto, 2_560.0, 32721),
        "footprints_growth_2023_z15": _pixel_footprints(peixoto, 32721, 10.0),
    }
    for key, frame in files.items():
        frame.to_parquet(root / f"{key}.parquet")
    specs = [
        LayerSpec("polygons", "Mining polygons", str(root / "polygons.parquet"),
                  catalogue.POLYGON_POPUP, catalogue.POLYGON_STYLE),
        LayerSpec("region", "Scan region", str(root / "region.parquet"), ("cells",),
                  catalogue.REGION_STYLE, dissolve=True),
        LayerSpec("grid_z15", "Grid cells z15", str(root / "grid_z15.parquet"),
                  catalogue.CELL_POPUP, catalogue.CELL_STYLE, colour_by="label",
                  colours=catalogue.LABEL_COLOURS),
        LayerSpec("growth_z15", "Growth per cell z15", str(root / "growth_z15.parquet"),
                  ("cell_id",), catalogue.GROWTH_STYLE, visible=False),
        LayerSpec("footprints_growth_2023_z15", "Footprints growth 2023 z15",
                  str(root / "footprints_growth_2023_z15.parquet"), catalogue.FOOTPRINT_POPUP,
                  catalogue.FOOTPRINT_STYLE, visible=False, simplify_m=10.0),
    ]  # fmt: skip
    regions = [
        {"name": "Scan region", "layers": ["region", "pyramid_*"]},
        {"name": "Training polygons", "layers": ["polygons", "grid_z*"]},
        {"name": "Growth: Peixoto de Azevedo", "layers": ["growth_z*", "footprints_growth_*"]},
    ]
    page = root / "map" / "index.html"
    manifest = build_map(page, specs, regions=regions, title="first view")
    return page, manifest


@pytest.fixture(scope="module")
def page(results_map):
    reason = why_no_browser()
    if reason:
        pytest.skip(f"no headless Chromium: {reason} (tests/e2e/browser.sh install)")
    from minescan.webmap.browser import open_map

    with chromium(width=WIDTH, height=HEIGHT) as driver:
        open_map(driver, results_map[0])
        yield driver


def _viewport(driver) -> tuple[float, float]:
    return tuple(
        driver.execute_script("const s = window.minescanMap.map.getSize(); return [s.x, s.y];")
    )


def _on_screen(driver, key: str) -> list[shapely.Geometry]:
    """A layer's features as screen rectangles (the map library's projection of each feature's
    bounds), clipped to the map's viewport."""
    width, height = _viewport(driver)
    view = box(0, 0, width, height)
    boxes = driver.execute_script("return window.minescanMap.screenBoxes(arguments[0])", key)
    rectangles = [
        box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)) for x0, y0, x1, y1 in boxes
    ]
    return [r.intersection(view) for r in rectangles]


def test_the_regions_are_the_scan_region_the_training_polygons_and_the_growth(results_map):
    _, manifest = results_map
    names = [region["name"] for region in manifest["regions"]]
    assert names == [
        "Scan region, Indonesia",
        "Training polygons, Indonesia",
        "Growth: Peixoto de Azevedo, Brazil",
        "All results",
    ]
    (south, west), (north, east) = manifest["bounds"]  # the first view: the scan region
    assert (west, south, east, north) == pytest.approx(SCAN_REGION, abs=0.1)  # a z13 cell


def test_the_first_view_is_the_scan_region_with_its_cells_at_a_visible_size(page):
    width, height = _viewport(page)
    region = shapely.union_all(_on_screen(page, "region"))
    # the region fills the view in one direction at least (not a dot in a continent)
    assert region.area / (width * height) > 0.3
    cells = _on_screen(page, "grid_z15")
    assert cells and all(c.area > 0 for c in cells)  # every training cell in view
    sides = [c.bounds[2] - c.bounds[0] for c in cells]
    assert min(sides) > 12  # a 2.56 km cell is a visible square (23 px in a 1400 x 900 window)
    # and the view is tens of kilometres across, not a thousand
    metres = page.execute_script(
        "const m = window.minescanMap.map; const s = m.getSize();"
        "return m.distance(m.containerPointToLatLng([0, s.y / 2]),"
        " m.containerPointToLatLng([s.x, s.y / 2]));"
    )
    assert 30_000 < metres < 200_000


def test_the_offline_basemap_is_drawn_under_the_first_view(page):
    width, height = _viewport(page)
    view = box(0, 0, width, height)
    land = [b for b in _on_screen(page, "land") if b.intersects(view) and b.area > 0]
    assert land, "no Natural Earth land in the first view"
    counts = page.execute_script(
        "const b = window.minescanMap.basemap;"
        "return Object.fromEntries(Object.entries(b).map(([k, l]) => [k, l.getLayers().length]));"
    )
    # land, coastline and borders are one shape each; rivers and lakes one per feature
    assert set(counts) == {"land", "lakes", "rivers", "coastline", "borders"}
    assert counts["rivers"] == 461 and counts["lakes"] == 275 and min(counts.values()) == 1
    # the pixels a person sees: the land colour of the basemap over much of the map
    element = page.find_element("id", "map")
    shot = Image.open(io.BytesIO(page.get_screenshot_as_png())).convert("RGB")
    r = element.rect
    pixels = np.asarray(shot.crop((r["x"], r["y"], r["x"] + r["width"], r["y"] + r["height"])))
    near_land = (np.abs(pixels.astype(int) - LAND_RGB) <= 12).all(axis=2)
    assert near_land.mean() > 0.25, f"{near_land.mean():.0%} of the map is land-coloured"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot.save(SCREENSHOT)


def test_a_region_button_brings_that_region_into_view(page, results_map):
    buttons = page.find_elements("css selector", ".regions button")
    assert [b.text for b in buttons][2] == "Growth: Peixoto de Azevedo, Brazil"
    page.execute_script(
        "const m = window.minescanMap; m.map.addLayer(m.layers['growth_z15']);"
        "m.map.addLayer(m.layers['footprints_growth_2023_z15']);"
    )
    buttons[2].click()
    width, height = _viewport(page)
    growth = shapely.union_all(_on_screen(page, "growth_z15"))
    assert growth.area / (width * height) > 0.3
    assert all(c.area == 0 for c in _on_screen(page, "grid_z15"))  # Kalimantan is off-screen
    footprints = _on_screen(page, "footprints_growth_2023_z15")
    count = {e["key"]: e["count"] for e in results_map[1]["layers"]}["footprints_growth_2023_z15"]
    assert len(footprints) == count > 10 and all(f.area > 0 for f in footprints)
    buttons[0].click()
    assert shapely.union_all(_on_screen(page, "region")).area / (width * height) > 0.3
    assert console_errors(page, ignore=(BASEMAP_PROBE,)) == []
