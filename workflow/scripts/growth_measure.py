"""Rule growth_measure: mine area per window, new and lost area, new sites, evaluation."""

from minescan.growth.steps import measure_growth_step
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    measure_growth_step(
        cells=sm.input.cells,
        polygons=sm.input.polygons,
        footprints=list(sm.input.footprints),
        statuses={epoch: list(getattr(sm.input, f"status_{epoch}")) for epoch in sm.params.epochs},
        windows=sm.params.windows,
        new_site_distance_m=sm.params.new_site_distance_m,
        region=sm.params.region,
        imagery=sm.params.imagery,
        outputs=dict(sm.output.items()),
    )
