"""Rule footprints_region_out_summary: the held-out latitude bands, each and pooled."""

from minescan.footprints.steps import region_out_summary
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    region_out_summary(
        metrics=list(sm.input.metrics),
        objects=list(sm.input.objects),
        table_out=sm.output.table,
        summary_out=sm.output.summary,
        provenance=provenance({"bands": len(sm.input.metrics)}),
    )
