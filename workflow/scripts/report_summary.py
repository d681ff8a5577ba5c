"""Rule report_summary: the report's first page, what ran and the headline figures."""

from pathlib import Path

from minescan.logs import setup_logging
from minescan.report.summary import report_summary_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    inputs = dict(sm.input.items())
    inputs["map"] = str(Path(inputs["map"]) / "index.js")  # the manifest in the layers folder
    report_summary_step(out=sm.output[0], facts=sm.params.facts, inputs=inputs)
