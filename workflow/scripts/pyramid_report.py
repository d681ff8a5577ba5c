"""Rule pyramid_report: cost and recall per level, the exhaustive comparison, the curve, maps."""

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.steps import report_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    report_step(
        pyramid_cells=list(sm.input.pyramid_cells),
        pyramid_scores=list(sm.input.pyramid_scores),
        thresholds=list(sm.input.thresholds),
        region_cells=list(sm.input.region_cells),
        region_scores=list(sm.input.region_scores),
        polygons=sm.input.polygons,
        summary=sm.output.summary,
        curve=sm.output.curve,
        curve_png=sm.output.curve_png,
        map_png=sm.output.map_png,
        provenance=provenance(params),
        **params,
    )
