"""Rule detection_predict_background: detections on real mine-free imagery (false alarms)."""

import torch

from minescan.detection.steps import background
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    background(
        weights=sm.input.weights,
        scaling=sm.input.scaling,
        folder=params["folder"],
        out=sm.output.detections,
        summary_out=sm.output.summary,
        settings_dir=params["settings_dir"],
        provenance=provenance(params, {"weights": sm.input.weights}),
        **params["options"],
    )
