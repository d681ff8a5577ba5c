"""Rule footprints_train: a U-Net or FPN for a zoom level's tiles or a labelled folder."""

import torch

from minescan.footprints.steps import train
from minescan.logs import setup_logging
from minescan.ml.channels import ranked_channels
from minescan.ml.tile_tables import tile_table_from_folder, tile_table_from_zoom
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    folder = sm.input.get("folder")
    if folder:
        tiles = tile_table_from_folder(folder)
    else:
        tiles = tile_table_from_zoom(sm.input.cells, sm.input.statuses, sm.input.tiles)
    channels = params.pop("channels") or ranked_channels(sm.input.ranking)
    weights = sm.input.get("encoder_weights")
    train(
        tiles=tiles,
        model_out=sm.output.model,
        table_out=sm.output.table,
        summary_out=sm.output.summary,
        curves_out=sm.output.curves,
        history_out=sm.output.history,
        channels=channels,
        encoder_weights=weights,
        name=sm.wildcards.source,
        provenance=provenance({**params, "channels": channels}),
        **params,
    )
