"""Rule tiles: one COG per cell of a shard (bands + _mine) and the shard's status table."""

from minescan.imagery.shard import make_shard_tiles
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    make_shard_tiles(
        cells=snakemake.input.cells,  # noqa: F821
        polygons=snakemake.input.polygons,  # noqa: F821
        shard=snakemake.wildcards.shard,  # noqa: F821
        tiles_dir=snakemake.output.tiles,  # noqa: F821
        status=snakemake.output.status,  # noqa: F821
        imagery=snakemake.params.imagery,  # noqa: F821
        pixel_size=snakemake.params.pixel_size,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
