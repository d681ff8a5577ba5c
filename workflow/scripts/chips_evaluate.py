"""Rule chips_evaluate: cross-validate the CNNs and baselines on real Sentinel-2 chips."""

from minescan.chips.steps import evaluate_real_chips
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    evaluate_real_chips(
        threads=sm.threads,
        out=dict(sm.output.items()),
        provenance=provenance(params, {"chips": sm.input.chips}),
        **params,
    )
