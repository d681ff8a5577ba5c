"""Rules detection_predict and detection_predict_folder: georeferenced detections over whole
tiles of one shard, or of a labelled folder."""

import torch

from minescan.detection.steps import folder_tiles, predict, shard_tiles
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    if "folder" in dict(sm.input.items()):
        tiles, zoom = folder_tiles(sm.input.folder), None
    else:
        tiles, zoom = shard_tiles(sm.input.tiles, sm.input.status), int(sm.wildcards.zoom)
    predict(
        weights=sm.input.weights,
        scaling=sm.input.scaling,
        tiles=tiles,
        out=sm.output.detections,
        zoom=zoom,
        settings_dir=params["settings_dir"],
        provenance=provenance(params, {"weights": sm.input.weights}),
        **params["options"],
    )
