"""Rule chips_gallery_evaluate: region-out and block CV of the recipe on a gallery folder."""

from minescan.chips.gallery_steps import evaluate_gallery
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    evaluate_gallery(
        scores=sm.output.scores,
        summary=sm.output.summary,
        threads=sm.threads,
        provenance=provenance(params, {"chips": sm.input.chips}),
        **params,
    )
