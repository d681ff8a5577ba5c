"""Rule pyramid_exhaustive: screen scores of every region cell of a shard, tiles not kept."""

from minescan.logs import setup_logging
from minescan.provenance import provenance
from minescan.pyramid.stream import stream_shard_scores

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    stream_shard_scores(
        cells=sm.input.cells,
        polygons=sm.input.polygons,
        shard=sm.wildcards.shard,
        model=sm.input.model,
        imagery=params["request"],
        fetch=params["fetch"],
        pixel_size=params["pixel_size"],
        threads=sm.threads,
        out=sm.output.scores,
        provenance=provenance(
            {"request": params["request"], "pixel_size": params["pixel_size"]},
            {"model": sm.input.model},
        ),
    )
