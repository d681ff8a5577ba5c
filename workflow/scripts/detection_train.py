"""Rule detection_train: a YOLO detector for one fold or the final model, on GPU or CPU."""

import torch

from minescan.detection.steps import train
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    train(
        dataset_dir=sm.input.dataset,
        run=sm.wildcards.run,
        scaling=sm.input.scaling,
        window_px=params["window_px"],
        run_dir=sm.output.run,
        weights_out=sm.output.weights,
        summary_out=sm.output.summary,
        curves_out=sm.output.curves,
        start=params["start"],
        settings_dir=params["settings_dir"],
        workers=0 if not torch.cuda.is_available() else sm.threads,
        provenance=provenance(params, dict(zip(["weights"], sm.input.weights, strict=False))),
        **params["options"],
    )
