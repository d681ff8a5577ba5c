"""Rule tiles_summary: the status tables of every shard of a zoom level in one table."""

from minescan.imagery.tiles import summarise_status
from minescan.logs import setup_logging

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    summarise_status(list(snakemake.input.statuses), snakemake.output.status)  # noqa: F821
