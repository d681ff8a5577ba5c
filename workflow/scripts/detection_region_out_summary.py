"""Rule detection_region_out_summary: per band and pooled over the held-out bands."""

from minescan.detection.region_out import summarise
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    summarise(
        metrics=list(sm.input.metrics),
        objects=list(sm.input.objects),
        table_out=sm.output.table,
        summary_out=sm.output.summary,
        provenance=provenance({}),
    )
