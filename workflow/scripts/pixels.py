"""Rule pixels: the shard's Parquet pixel table, one row per valid pixel."""

from minescan.logs import setup_logging
from minescan.pixels.table import make_shard_pixels

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    make_shard_pixels(
        status=sm.input.status,
        tiles_dir=sm.input.tiles,
        cells=sm.input.cells,
        polygons=sm.input.polygons,
        shard=sm.wildcards.shard,
        out=sm.output.table,
        params={**params, "zoom": int(sm.wildcards.zoom)},
        **params,
    )
