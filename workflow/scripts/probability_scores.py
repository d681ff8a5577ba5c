"""Rule probability_scores: the per-cell scores of every shard of a zoom level in one table."""

from minescan.logs import setup_logging
from minescan.probability.steps import merge_scores
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    merge_scores(scores=list(sm.input.scores), out=sm.output.scores, provenance=provenance({}))
