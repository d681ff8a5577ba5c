"""Rule growth_figures: the growth map and the plot of mine area over time."""

from minescan.growth.figures import growth_figures_step
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    growth_figures_step(
        cells=sm.input.cells,
        new_sites=sm.input.new_sites,
        areas=sm.input.areas,
        evaluation=sm.input.evaluation,
        footprints=list(sm.input.footprints),
        tiles={epoch: list(getattr(sm.input, f"tiles_{epoch}")) for epoch in sm.params.epochs},
        epochs=sm.params.epochs,
        region=sm.params.region,
        imagery=sm.params.imagery,
        map_png=sm.output.map,
        area_png=sm.output.area,
        gallery_png=sm.output.gallery,
    )
