"""Rule pyramid_screen_detector: a detector level's screen over one shard of tiles."""

import torch

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.detector_screen import detector_screen_shard

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    detector_screen_shard(
        tiles_dir=sm.input.tiles,
        status=sm.input.status,
        model=sm.input.model,
        out_dir=sm.output.probabilities,
        scores=sm.output.scores,
        provenance=provenance(params, {"model": sm.input.model, "record": sm.input.record}),
        **params,
    )
