"""Rule models_compare: metrics of every model on the held-out cells, breakdown, PR curves."""

from minescan.logs import setup_logging
from minescan.pixelmodels.steps import compare_models

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    compare_models(
        predictions=dict(zip(sm.params.names, sm.input.predictions, strict=True)),
        comparison=sm.output.comparison,
        breakdown_out=sm.output.breakdown,
        pr_plot=sm.output.pr_curves,
        breakdown_by=sm.params.breakdown_by,
    )
