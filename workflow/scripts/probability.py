"""Rule probability: probability COGs and per-cell scores for the tiles of one shard."""

from minescan.logs import setup_logging
from minescan.probability.steps import probability_shard
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    probability_shard(
        tiles_dir=sm.input.tiles,
        status=sm.input.status,
        model=sm.input.model,
        out_dir=sm.output.probabilities,
        scores=sm.output.scores,
        provenance=provenance(params, {"model": sm.input.model}),
        **params,
    )
