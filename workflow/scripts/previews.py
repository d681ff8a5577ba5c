"""Rule previews: an RGB JPEG per tile with the polygons in red, and the shard's contact sheet."""

from minescan.imagery.previews import make_shard_previews
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    make_shard_previews(
        status=sm.input.status,
        tiles_dir=sm.input.tiles,
        previews_dir=sm.output.previews,
        sheet=sm.output.sheet,
        shard=sm.wildcards.shard,
        **dict(sm.params.items()),
    )
