"""Rule models_scan_scores: the per-cell scan scores of all shards of a zoom level in one table."""

import pandas as pd

from minescan.logs import setup_logging
from minescan.pixelmodels.steps import write_parquet
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    frame = pd.concat([pd.read_parquet(p) for p in sm.input.scores], ignore_index=True)
    write_parquet(frame, sm.output.scores, provenance({}, {}))
