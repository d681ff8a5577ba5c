"""Rule models_dataset: pixel and patch training tables of one zoom level, with splits."""

from minescan.logs import setup_logging
from minescan.pixelmodels.steps import build_datasets
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    build_datasets(
        tables=list(sm.input.tables),
        pixel_out=sm.output.pixels,
        patch_out=sm.output.patches,
        provenance=provenance(params),
        **params,
    )
