"""Rule chips_score: score another chips folder with the trained chip CNN."""

from pathlib import Path

from minescan.chips.steps import score_chips
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    score_chips(
        model=sm.input.model,
        threads=sm.threads,
        out_dir=str(Path(sm.output.metrics).parent),
        provenance=provenance(params, {"chips": sm.input.chips, "model": sm.input.model}),
        **params,
    )
