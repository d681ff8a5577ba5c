"""Rule probability_figure: per-cell scores against the mine share, and example rasters."""

from minescan.logs import setup_logging
from minescan.probability.figure import probability_figure

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    probability_figure(
        scores=sm.input.scores,
        cells=sm.input.cells,
        out=sm.output[0],
        simulated=sm.params.simulated,
    )
