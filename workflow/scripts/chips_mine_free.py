"""Rule chips_mine_free: false alarms of the shipped chip model on real mine-free scenes."""

from minescan.chips.gallery_steps import scan_mine_free
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    scan_mine_free(
        model=sm.input.model,
        out=sm.output.alarms,
        threads=sm.threads,
        provenance=provenance(params, {"model": sm.input.model}),
        **params,
    )
