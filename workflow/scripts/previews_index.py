"""Rule previews_index: the contact sheets of a zoom level, one row each."""

from minescan.imagery.previews import index_sheets
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    index_sheets(list(sm.input.sheets), sm.output.index)
