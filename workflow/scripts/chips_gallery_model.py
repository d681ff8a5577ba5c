"""Rule chips_gallery_model: train the shipped chip model's recipe on a gallery folder."""

from minescan.chips.gallery_steps import train_gallery
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    train_gallery(
        out=sm.output.model,
        threads=sm.threads,
        provenance=provenance(params, {"chips": sm.input.chips}),
        **params,
    )
