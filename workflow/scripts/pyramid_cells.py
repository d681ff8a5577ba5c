"""Checkpoint pyramid_cells: the cells one pyramid level scores, and their shards."""

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.steps import level_cells_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    inputs = dict(sm.input.items())
    level_cells_step(
        zoom=int(sm.wildcards.zoom),
        cells=sm.output.cells,
        shards=sm.output.shards,
        provenance=provenance(params, inputs),
        **params,
        **inputs,
    )
