"""Rules grid_map and region_map: PNG map of one zoom level's cells over the polygons."""

from minescan.grid.steps import grid_map_step
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    grid_map_step(
        cells=snakemake.input.cells,  # noqa: F821
        polygons=snakemake.input.polygons,  # noqa: F821
        output=snakemake.output[0],  # noqa: F821
        title=snakemake.params.title,  # noqa: F821
    )
