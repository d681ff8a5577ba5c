"""Rule previews: an RGB JPEG per tile with the polygons in red, and the shard's contact sheet."""

from minescan.imagery.previews import make_shard_previews
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    make_shard_previews(
        status=snakemake.input.status,  # noqa: F821
        tiles_dir=snakemake.input.tiles,  # noqa: F821
        previews_dir=snakemake.output.previews,  # noqa: F821
        sheet=snakemake.output.sheet,  # noqa: F821
        shard=snakemake.wildcards.shard,  # noqa: F821
        **snakemake.params.previews,  # noqa: F821
    )
