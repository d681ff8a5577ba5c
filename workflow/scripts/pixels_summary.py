"""Rule pixels_summary: rows, mine rows and cells of every shard's pixel table of a zoom level."""

from minescan.logs import setup_logging
from minescan.pixels.table import summarise_pixels

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    summarise_pixels(list(snakemake.input.tables), snakemake.output.summary)  # noqa: F821
