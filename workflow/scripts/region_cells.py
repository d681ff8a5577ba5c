"""Checkpoint region_cells: every land cell of one zoom level covering the region, and shards."""

from minescan.grid.steps import region_cells_step
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    region_cells_step(
        polygons=snakemake.input.polygons,  # noqa: F821
        extent=snakemake.params.extent,  # noqa: F821
        zoom=int(snakemake.wildcards.zoom),  # noqa: F821
        level=snakemake.params.level,  # noqa: F821
        min_land_fraction=snakemake.params.min_land_fraction,  # noqa: F821
        cells=snakemake.output.cells,  # noqa: F821
        shards=snakemake.output.shards,  # noqa: F821
    )
