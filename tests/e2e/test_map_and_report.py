"""The demo's web map and report in a real browser (headless Chromium), as a person checks them:
the first view on the scan region over the offline basemap, a button per region, every cell and
detection of the demo's tables drawn, layers that switch off and on, a popup with a cell's
name, no JavaScript error, every section of the report. (The first view on a small results
folder, without the demo: tests/unit/test_webmap_first_view.py.) Screenshots are kept in
``results/screenshots/`` of the checkout (CI artifacts).

Uses the session's demo run (tests/e2e/conftest.py); skipped, with the reason, where no
Chromium can be installed (tests/e2e/browser.sh: Debian, root).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from workflow_copy import REPO
from workflow_copy import run_snakemake as _snakemake

from minescan.webmap.browser import (
    BASEMAP_PROBE,
    chromium,
    console_errors,
    open_map,
    wait_for,
    why_no_browser,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]

SCREENSHOTS = REPO / "results" / "screenshots"
REPORT_MAX_BYTES = 15_000_000


@pytest.fixture(scope="module")
def browser():
    install = subprocess.run(
        ["bash", str(REPO / "tests" / "e2e" / "browser.sh"), "install"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        pytest.skip(f"no headless Chromium: {(install.stdout + install.stderr).strip()}")
    reason = why_no_browser()
    if reason:
        pytest.skip(f"no headless Chromium: {reason}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium(width=1400, height=900) as driver:
        yield driver


@pytest.fixture(scope="module")
def demo_map(demo, browser):
    open_map(browser, demo / "results" / "map" / "index.html")
    return browser


def _config(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "config" / "config.yaml").read_text())


def _expected_counts(demo: Path) -> dict[str, int]:
    """Features per map layer, from the demo's own tables."""
    results = demo / "results"
    config = _config(demo)
    counts = {"polygons": len(gpd.read_parquet(results / "polygons" / "polygons.parquet"))}
    for zoom in config["grid"]["zoom_levels"]:
        counts[f"grid_z{zoom}"] = len(
            gpd.read_parquet(results / "grid" / f"z{zoom}" / "cells.parquet")
        )
    scan = results / "pyramid" / "scan.gpkg"
    levels = gpd.read_file(scan, layer="cells")
    for zoom in config["pyramid"]["levels"]:
        counts[f"pyramid_z{zoom}"] = int((levels["zoom"] == zoom).sum())
    counts["pyramid_detections"] = len(gpd.read_file(scan, layer="detections"))
    for zoom in config["detection"]["zooms"]:
        path = results / "detection" / f"z{zoom}" / "detections.gpkg"
        counts[f"detections_z{zoom}"] = len(gpd.read_file(path))
    return counts


def _checkbox(driver, key: str):
    """The layer switcher's checkbox of a layer (found by the title a person reads)."""
    title = driver.execute_script(
        "const m = window.MINESCAN_MAP;"
        "const all = [...m.layers, ...m.previews];"
        "return all.find((l) => l.key === arguments[0]).title;",
        key,
    )
    for label in driver.find_elements("css selector", ".leaflet-control-layers-overlays label"):
        if f" {title} (" in f" {label.text}":
            return label.find_element("css selector", "input")
    raise AssertionError(f"no switch for layer {title!r}")


def _show(driver, key: str, visible: bool) -> None:
    box = _checkbox(driver, key)
    if box.is_selected() != visible:
        box.click()
    assert (
        driver.execute_script(
            "return window.minescanMap.map.hasLayer(window.minescanMap.layers[arguments[0]])", key
        )
        == visible
    )


def _share_of_view(driver, key: str) -> float:
    """The share of the map's viewport that a layer's features cover on the screen (their
    bounding boxes as the map library projects them, clipped to the view)."""
    width, height = driver.execute_script(
        "const s = window.minescanMap.map.getSize(); return [s.x, s.y];"
    )
    boxes = driver.execute_script("return window.minescanMap.screenBoxes(arguments[0])", key)
    view = shapely.box(0, 0, width, height)
    shapes = [shapely.box(min(a, c), min(b, d), max(a, c), max(b, d)) for a, b, c, d in boxes]
    return shapely.union_all(shapes).intersection(view).area / view.area if shapes else 0.0


def test_the_demo_map_opens_on_the_scan_region_over_the_basemap(demo, demo_map):
    # run first: the view as the page opens
    regions = demo_map.execute_script("return window.minescanMap.regions.map((r) => r.name)")
    assert regions[0] == "Scan region, Indonesia"
    assert "Growth: Peixoto de Azevedo (Tapajos basin), Brazil" in regions
    buttons = [b.text for b in demo_map.find_elements("css selector", ".regions button")]
    assert buttons == regions
    assert _share_of_view(demo_map, "region") > 0.3  # the region fills the view, not a dot
    cells = demo_map.execute_script("return window.minescanMap.screenBoxes('grid_z15')")
    assert cells and min(abs(c[2] - c[0]) for c in cells) > 10  # cells of a visible size
    land = demo_map.execute_script(
        "const m = window.minescanMap; return m.map.hasLayer(m.basemap.land) &&"
        " m.map.getBounds().intersects(m.basemap.land.getBounds());"
    )
    assert land, "the offline basemap's land is not under the first view"
    demo_map.save_screenshot(str(SCREENSHOTS / "map_first_view.png"))
    index = regions.index("Growth: Peixoto de Azevedo (Tapajos basin), Brazil")
    demo_map.find_elements("css selector", ".regions button")[index].click()
    assert demo_map.execute_script(
        "const m = window.minescanMap; const [[s, w], [n, e]] = m.regions[arguments[0]].bounds;"
        "return m.map.getBounds().contains([[s, w], [n, e]]);",
        index,
    )
    demo_map.find_elements("css selector", ".regions button")[0].click()


def test_the_map_draws_every_cell_and_detection_of_the_demo(demo, demo_map):
    expected = _expected_counts(demo)
    keys = demo_map.execute_script("return Object.keys(window.minescanMap.layers)")
    assert set(expected) <= set(keys)
    for key in keys:
        _show(demo_map, key, True)
    drawn = {
        key: demo_map.execute_script("return window.minescanMap.drawn(arguments[0])", key)
        for key in expected
    }
    assert drawn == expected
    # every preview overlay's image arrived (a broken src draws nothing)
    # (decoding 188 thumbnails takes a moment after the layers switch on: wait up to 15 s)
    deadline = time.monotonic() + 15
    while True:
        images = demo_map.execute_script(
            "return [...document.querySelectorAll('.leaflet-pane img')]"
            ".map((i) => i.complete && i.naturalWidth > 0)"
        )
        if all(images) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    n_cells = sum(v for k, v in expected.items() if k.startswith("grid_"))
    assert len(images) == n_cells and all(images)
    demo_map.save_screenshot(str(SCREENSHOTS / "map_all_layers.png"))


def test_layers_switch_off_and_on(demo, demo_map):
    zoom = _config(demo)["grid"]["zoom_levels"][0]
    key = f"grid_z{zoom}"
    before = demo_map.execute_script("return window.minescanMap.drawn(arguments[0])", key)
    assert before > 0
    _show(demo_map, key, False)
    assert demo_map.execute_script("return window.minescanMap.drawn(arguments[0])", key) == 0
    legend = demo_map.find_element("css selector", ".legend").text
    assert f"Grid cells z{zoom}" not in legend  # the legend follows the switcher
    _show(demo_map, key, True)
    assert demo_map.execute_script("return window.minescanMap.drawn(arguments[0])", key) == before
    assert f"Grid cells z{zoom}" in demo_map.find_element("css selector", ".legend").text


def test_a_click_on_a_cell_opens_its_popup_with_its_name(demo, demo_map):
    from selenium.webdriver.common.action_chains import ActionChains

    zoom = _config(demo)["grid"]["zoom_levels"][0]
    cells = gpd.read_parquet(demo / "results" / "grid" / f"z{zoom}" / "cells.parquet")
    cell = cells.iloc[len(cells) // 2]
    keys = demo_map.execute_script("return Object.keys(window.minescanMap.layers)")
    for key in keys:  # only this zoom's cells under the pointer
        _show(demo_map, key, key == f"grid_z{zoom}")
    demo_map.execute_script(
        "window.minescanMap.map.setView([arguments[0], arguments[1]], 13, {animate: false})",
        cell["centroid_lat"],
        cell["centroid_lon"],
    )
    x, y, width, height = demo_map.execute_script(
        "const m = window.minescanMap.map;"
        "const p = m.latLngToContainerPoint([arguments[0], arguments[1]]);"
        "const s = m.getSize(); return [p.x, p.y, s.x, s.y];",
        cell["centroid_lat"],
        cell["centroid_lon"],
    )
    element = demo_map.find_element("id", "map")
    ActionChains(demo_map).move_to_element_with_offset(
        element, int(x - width / 2), int(y - height / 2)
    ).click().perform()
    text = wait_for(
        demo_map,
        "document.querySelector('.leaflet-popup-content')?.innerText",
        timeout_s=10,
    )
    assert cell["name"] in text
    for column in ("label", "overlap_fraction", "country", "climate", "tile", "preview"):
        assert column in text
    links = demo_map.find_elements("css selector", ".leaflet-popup-content a")
    hrefs = [link.get_attribute("href") for link in links]
    assert any(h.endswith(f"{cell['cell_id']}.tif") for h in hrefs)
    for href in hrefs:  # the tile and preview links lead to files of the run
        assert Path(href.removeprefix("file://")).is_file(), href
    time.sleep(0.5)  # the popup fades in
    demo_map.save_screenshot(str(SCREENSHOTS / "map_popup.png"))


def test_the_map_logs_no_javascript_error(demo_map):
    # run last among the map tests: the log holds every interaction above
    time.sleep(0.5)
    assert console_errors(demo_map, ignore=(BASEMAP_PROBE,)) == []


def test_the_report_opens_with_the_run_and_has_every_section(demo, browser):
    report = demo / "results" / "report_browser.html"
    run = _snakemake(demo, "--report", str(report.relative_to(demo)))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ERROR/3" not in run.stderr and "SEVERE/4" not in run.stderr
    size = report.stat().st_size
    assert size < REPORT_MAX_BYTES, f"report is {size / 1e6:.1f} MB"
    browser.get(report.as_uri())
    text = wait_for(
        browser, "document.body.innerText.includes('Headline figures') && document.body.innerText"
    )
    for heading in ("What ran", "Headline figures", "SIMULATED"):
        assert heading in text
    sections = [
        "Polygons",
        "Grid",
        "Imagery",
        "Pixel tables",
        "Pixel models",
        "Probability",
        "Detection",
        "Pyramid",
        "Map",
    ]
    if (demo / "results" / "chips" / "metrics.csv").exists():
        sections.append("Real chips")
    links = browser.execute_script(
        "return [...document.querySelectorAll('a')].map((a) => a.textContent.trim())"
    )
    missing = [s for s in sections if s not in links]
    assert missing == []
    browser.execute_script("document.querySelectorAll('*').forEach((e) => e.scrollTop = 0)")
    browser.save_screenshot(str(SCREENSHOTS / "report.png"))
    assert console_errors(browser) == []
