"""Checkpoint grid_cells: positives, negatives, names, metadata and shards of one zoom level."""

from minescan.grid.steps import grid_cells_step
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    grid_cells_step(
        polygons=snakemake.input.polygons,  # noqa: F821
        zoom=int(snakemake.wildcards.zoom),  # noqa: F821
        level=snakemake.params.level,  # noqa: F821
        negatives=snakemake.params.negatives,  # noqa: F821
        cells=snakemake.output.cells,  # noqa: F821
        gpkg=snakemake.output.gpkg,  # noqa: F821
        locations=snakemake.output.locations,  # noqa: F821
        shards=snakemake.output.shards,  # noqa: F821
    )
