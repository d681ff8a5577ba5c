"""Rule footprints_merge: every shard's footprints in one GeoParquet and one GeoPackage."""

from minescan.footprints.steps import merge
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    merge(
        parts=list(sm.input.parts),
        parquet=sm.output.parquet,
        gpkg=sm.output.gpkg,
        provenance=provenance({"parts": len(sm.input.parts)}),
    )
