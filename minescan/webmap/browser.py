"""Headless Chromium through selenium: the map's screenshot for the report, and the browser
the end-to-end test drives. Debian's ``chromium`` and ``chromium-driver`` packages; nothing
is downloaded (selenium's own driver manager would try)."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# No network chatter of the browser's own (updates, sync, first-run pages): the test machines
# are offline, and a page that works must not depend on any of it.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class BrowserUnavailable(RuntimeError):
    """Chromium, its driver or selenium is missing on this machine."""


def why_no_browser() -> str | None:
    """Why a headless Chromium cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists() and not shutil.which(Path(path).name):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A headless Chromium that keeps its console log (read with ``console_errors``)."""
    reason = why_no_browser()
    if reason:
        raise BrowserUnavailable(reason)
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, script: str, timeout_s: float = 30.0) -> Any:
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"page never satisfied: {script}")


def open_map(driver: Any, page: str | Path, timeout_s: float = 60.0) -> None:
    """Open the map page and wait until every layer is loaded and drawn."""
    driver.get(Path(page).resolve().as_uri())
    try:
        wait_for(driver, "window.minescanMap !== undefined", timeout_s)
    except TimeoutError as error:  # a script error stops the page before it says it is ready
        raise TimeoutError(f"{error}; console: {driver.get_log('browser')}") from error
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.minescanMap.ready.then(() => done(true), () => done(false));"
    )


def console_errors(driver: Any, ignore: tuple[str, ...] = ()) -> list[str]:
    """SEVERE console entries since the last call, except messages containing ``ignore``."""
    entries = driver.get_log("browser")
    return [
        e["message"]
        for e in entries
        if e["level"] == "SEVERE" and not any(text in e["message"] for text in ignore)
    ]


# The basemap probe fails offline by design; the browser logs that as a failed resource.
BASEMAP_PROBE = "tile.openstreetmap.org"


def map_screenshot(page: str | Path, out: str | Path, settle_s: float = 1.0) -> None:
    """A screenshot of the map as it opens (the layers visible by default)."""
    with chromium() as driver:
        open_map(driver, page)
        time.sleep(settle_s)  # canvas redraw after the last layer
        driver.save_screenshot(str(out))
        errors = console_errors(driver, ignore=(BASEMAP_PROBE,))
    if errors:
        log.warning("the map page logged errors: %s", errors)
