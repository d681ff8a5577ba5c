"""Rule chips_weak_labels: polygon labels of the chips' pixels, agreement, pixel models."""

from minescan.chips.steps import weak_label_chips
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    weak_label_chips(
        threads=sm.threads,
        out=dict(sm.output.items()),
        provenance=provenance(params, {"chips": sm.input.chips}),
        **params,
    )
