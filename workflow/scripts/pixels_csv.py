"""Rule pixels_csv: the seed's CSV of a shard's pixel table."""

import logging

from minescan.logs import setup_logging
from minescan.pixels.table import parquet_to_csv

if __name__ == "__main__":
    setup_logging(snakemake.log[0])  # noqa: F821
    rows = parquet_to_csv(snakemake.input.table, snakemake.output.csv)  # noqa: F821
    logging.getLogger("minescan").info("%d rows written", rows)
