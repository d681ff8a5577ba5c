"""Rule pyramid_scores: the screen scores of every shard of one level in one table."""

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.steps import merge_screen_scores

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    merge_screen_scores(
        scores=list(sm.input.scores), out=sm.output.scores, provenance=provenance({})
    )
