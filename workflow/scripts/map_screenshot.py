"""Rule map_screenshot: the web map as headless Chromium shows it, for the report."""

from minescan.logs import setup_logging
from minescan.webmap.steps import map_screenshot_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    map_screenshot_step(page=sm.input.page, out=sm.output[0], layers=sm.params.layers)
