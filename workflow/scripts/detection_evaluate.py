"""Rule detection_evaluate: the final detector on held-out tiles and mine-free imagery."""

from minescan.detection.steps import evaluate
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    evaluate(
        table=sm.input.table,
        scaling=sm.input.scaling,
        detections=sm.input.detections,
        metrics_out=sm.output.metrics,
        objects_out=sm.output.objects,
        breakdown_out=sm.output.breakdown,
        gallery_out=sm.output.gallery,
        split="test",
        background=sm.input.get("background"),
        background_summary=sm.input.get("background_summary"),
        provenance=provenance(params),
        **params,
    )
