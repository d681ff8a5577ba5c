"""Rule footprints_evaluate: the segmenter on held-out tiles and mine-free scenes, and the
detector's boxes next to the footprints' boxes."""

import torch

from minescan.footprints.steps import evaluate
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    evaluate(
        model=sm.input.model,
        table=sm.input.table,
        out=dict(sm.output.items()),
        detections=sm.input.get("detections"),
        detection_background=sm.input.get("detection_background"),
        detection_background_summary=sm.input.get("detection_background_summary"),
        provenance=provenance(params, {"model": sm.input.model}),
        **params,
    )
