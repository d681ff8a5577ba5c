"""Rule pyramid_screen: a level's screen over one shard of tiles (pixel model or chip CNN)."""

from minescan.logs import setup_logging
from minescan.probability.steps import probability_shard
from minescan.provenance import provenance

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    params = dict(sm.params.items())
    screen = params.pop("screen")
    common = {
        "tiles_dir": sm.input.tiles,
        "status": sm.input.status,
        "model": sm.input.model,
        "out_dir": sm.output.probabilities,
        "scores": sm.output.scores,
        "provenance": provenance({**params, "screen": screen}, {"model": sm.input.model}),
    }
    if screen == "chip_cnn":
        # torch only where the CNN runs: the pixel screen's jobs start 2 s faster without it
        from minescan.pyramid.cnn_screen import cnn_screen_shard

        cnn_screen_shard(**common)
    else:
        probability_shard(**common, **params)
