"""Rule models_channels: ranked bands and indices with evidence, for the detection stage."""

from minescan.logs import setup_logging
from minescan.pixelmodels.steps import rank_channel_evidence
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    rank_channel_evidence(
        dataset=sm.input.dataset,
        lasso_order=sm.input.lasso_order,
        logistic_order=sm.input.logistic_order,
        deployed_model=sm.input.model,
        ranking_out=sm.output.ranking,
        channels_out=sm.output.channels,
        provenance=provenance(params, dict(sm.input.items())),
        **params,
    )
