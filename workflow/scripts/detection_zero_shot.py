"""Rule detection_zero_shot: the given weights, before any training, on the validation tiles."""

import torch

from minescan.detection.steps import zero_shot
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    options = dict(params["options"])
    zero_shot(
        weights=sm.input.weights[0],
        scaling=sm.input.scaling,
        table=sm.input.table,
        detections_out=sm.output.detections,
        metrics_out=sm.output.metrics,
        split="val",
        min_object_pixels=params["min_object_pixels"],
        confidence=params["confidence"],
        predict_confidence=options.pop("confidence"),
        settings_dir=params["settings_dir"],
        provenance=provenance(params, {"weights": sm.input.weights[0]}),
        **options,
    )
