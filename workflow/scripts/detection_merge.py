"""Rule detection_merge: every shard's detections in one GeoParquet and one GeoPackage."""

from minescan.detection.steps import merge
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    merge(
        parts=list(sm.input.parts),
        parquet=sm.output.parquet,
        gpkg=sm.output.gpkg,
        provenance=provenance({}),
    )
