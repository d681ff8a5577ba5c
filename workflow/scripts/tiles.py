"""Rule tiles: one COG per cell of a shard (bands + _mine) and the shard's status table."""

from minescan.imagery.tiles import make_shard_tiles
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    make_shard_tiles(
        cells=sm.input.cells,
        polygons=sm.input.polygons,
        shard=sm.wildcards.shard,
        tiles_dir=sm.output.tiles,
        status=sm.output.status,
        imagery=sm.params.request,
        fetch=sm.params.fetch,
        store_dir=sm.params.store_dir,
        pixel_size=sm.params.pixel_size,
        threads=sm.threads,
    )
