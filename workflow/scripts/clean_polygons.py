"""Rule clean_polygons: read, check and repair the mining polygons."""

from minescan.logs import setup_logging
from minescan.polygons.steps import clean_polygons_step

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    clean_polygons_step(
        polygons=snakemake.input.polygons,  # noqa: F821
        output=snakemake.output.polygons,  # noqa: F821
        report=snakemake.output.report,  # noqa: F821
        layer=snakemake.params.layer,  # noqa: F821
        schema=snakemake.params.schema,  # noqa: F821
        date_column=dict(snakemake.params.items()).get("date_column"),  # noqa: F821
    )
