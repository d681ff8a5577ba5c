"""Rule footprints_learning_curve: the segmenter retrained on shares of its training regions."""

import torch

from minescan.footprints.learning_curve import learning_curve
from minescan.logs import setup_logging
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    torch.set_num_threads(sm.threads)
    params = dict(sm.params.items())
    learning_curve(
        model=sm.input.model,
        table=sm.input.table,
        table_out=sm.output.table,
        summary_out=sm.output.summary,
        plot_out=sm.output.plot,
        provenance=provenance(params, {"model": sm.input.model}),
        **params,
    )
