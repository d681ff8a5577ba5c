"""Rule pyramid_threshold: a level's screening threshold, chosen on validation cells."""

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.steps import threshold_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    threshold_step(
        cells=sm.input.cells,
        scores=sm.input.scores,
        zoom=int(sm.wildcards.zoom),
        out_json=sm.output.threshold,
        out_png=sm.output.evidence,
        provenance=provenance(params, {"scores": sm.input.scores}),
        **params,
    )
