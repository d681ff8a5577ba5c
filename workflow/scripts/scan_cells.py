"""Rule scan_cells: every land cell of one zoom level covering the scan region."""

from minescan.grid.steps import scan_cells_step
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    scan_cells_step(
        polygons=snakemake.input.polygons,  # noqa: F821
        region=snakemake.params.region,  # noqa: F821
        zoom=int(snakemake.wildcards.zoom),  # noqa: F821
        grid=snakemake.params.grid,  # noqa: F821
        min_land_fraction=snakemake.params.min_land_fraction,  # noqa: F821
        output=snakemake.output.cells,  # noqa: F821
    )
