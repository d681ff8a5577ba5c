"""Rule pyramid_merge: the scan's cells of every level and its detections in one GeoPackage."""

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.steps import merge_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    merge_step(
        cells=list(sm.input.cells),
        scores=list(sm.input.scores),
        thresholds=list(sm.input.thresholds),
        zooms=list(sm.params.zooms),
        detections=list(sm.input.detections),
        gpkg=sm.output.gpkg,
        parquet=sm.output.parquet,
        provenance=provenance(dict(sm.params.items())),
        spatial_prior=sm.params.spatial_prior,
    )
