"""Rule footprints_region_out: one latitude band of a labelled folder held out."""

import torch

from minescan.footprints.steps import region_out_band
from minescan.logs import setup_logging
from minescan.ml.tile_tables import tile_table_from_folder
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    region_out_band(
        tiles=tile_table_from_folder(sm.input.folder),
        band=int(sm.wildcards.band),
        metrics_out=sm.output.metrics,
        objects_out=sm.output.objects,
        provenance=provenance(params),
        **params,
    )
