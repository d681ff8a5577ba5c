"""Rule models_linear_path: the LASSO or L1-logistic path over lambda, and its chosen model."""

from minescan.logs import setup_logging
from minescan.pixelmodels.steps import run_linear_path
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    run_linear_path(
        dataset=sm.input.dataset,
        kind=sm.wildcards.linear,
        unit=sm.wildcards.unit,
        out=dict(sm.output.items()),
        provenance=provenance(params, {"dataset": sm.input.dataset}),
        **params,
    )
