"""Rule footprints_predict: probability and mask COGs and footprint polygons of one shard."""

import torch

from minescan.footprints.steps import predict_shard
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    predict_shard(
        tiles_dir=sm.input.tiles,
        status=sm.input.status,
        model=sm.input.model,
        out_dir=sm.output.rasters,
        parquet=sm.output.footprints,
        zoom=int(sm.wildcards.zoom),
        epoch=sm.wildcards.epoch,
        provenance=provenance(params, {"model": sm.input.model}),
        **params,
    )
