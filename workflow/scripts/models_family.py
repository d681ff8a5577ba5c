"""Rule models_family: one non-linear model family on the same splits."""

from minescan.logs import setup_logging
from minescan.pixelmodels.steps import run_family
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    run_family(
        dataset=sm.input.dataset,
        family=sm.wildcards.family,
        unit=sm.wildcards.unit,
        threads=sm.threads,
        predictions=sm.output.predictions,
        provenance=provenance(params, {"dataset": sm.input.dataset}),
        **params,
    )
