"""Rule map_page: the offline web map's page, layers, thumbnails and JavaScript."""

from minescan.logs import setup_logging
from minescan.webmap.steps import map_page_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    map_page_step(
        page=sm.output.page,
        layers=sm.params.layers,
        previews=sm.params.previews,
        preview_folders={group["key"]: sm.input[group["key"]] for group in sm.params.previews},
        title=sm.params.title,
        subtitle=sm.params.subtitle,
        simulated=sm.params.simulated,
        thumb_px=sm.params.thumb_px,
        inline_max_mb=sm.params.inline_max_mb,
        regions=sm.params.regions,
    )
