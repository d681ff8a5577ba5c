"""Rule probability_export_gee: the deployed linear model as Earth Engine Python and JavaScript."""

from minescan.logs import setup_logging
from minescan.probability.steps import export_gee
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    export_gee(
        model=sm.input.model,
        composite=sm.params.composite,
        python_out=sm.output.python,
        javascript_out=sm.output.javascript,
        expression_out=sm.output.expression,
        provenance=provenance({}, {"model": sm.input.model}),
    )
