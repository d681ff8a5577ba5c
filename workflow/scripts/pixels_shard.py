"""Rule pixels: the shard's Parquet pixel table, one row per valid pixel."""

from minescan.logs import setup_logging
from minescan.pixels.table import make_shard_pixels

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    options = snakemake.params.pixels  # noqa: F821
    make_shard_pixels(
        status=snakemake.input.status,  # noqa: F821
        tiles_dir=snakemake.input.tiles,  # noqa: F821
        cells=snakemake.input.cells,  # noqa: F821
        polygons=snakemake.input.polygons,  # noqa: F821
        shard=snakemake.wildcards.shard,  # noqa: F821
        out=snakemake.output.table,  # noqa: F821
        bands=snakemake.params.bands,  # noqa: F821
        pixel_size=snakemake.params.pixel_size,  # noqa: F821
        sample_fraction=options["sample_fraction"],
        edge_buffer_m=options["edge_buffer_m"],
        seed=options["seed"],
        distance_method=options["distance_method"],
        distance_margin_m=options["distance_margin_m"],
        params={"pixels": dict(options), "zoom": int(snakemake.wildcards.zoom)},  # noqa: F821
    )
