"""Rule detection_cv: the cross-validation table (per fold, mean and spread)."""

from minescan.detection.steps import cross_validation
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    cross_validation(summaries=list(sm.input.summaries), names=sm.params.names, out=sm.output.table)
