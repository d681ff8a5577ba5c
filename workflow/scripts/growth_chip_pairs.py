"""Rule growth_chip_pairs: real chip pairs segmented out of fold, growth against the polygons."""

from pathlib import Path

from minescan.chips.folds import RegionOut
from minescan.growth.chip_pairs import evaluate_chip_pairs
from minescan.growth.chip_segment import ChipSegmenterOptions
from minescan.logs import setup_logging

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    settings = dict(sm.params.settings)
    seed = int(sm.params.seed)
    evaluate_chip_pairs(
        sm.params.folder,
        sm.input.polygons,
        Path(sm.output.metrics).parent,
        schemes=tuple(settings.get("schemes", ("spatial_cv", "region_out"))),
        folds=int(settings.get("folds", 5)),
        block_deg=float(sm.params.block_deg),
        region_out=RegionOut(
            int(settings.get("regions", 4)), "longitude", float(settings.get("buffer_deg", 1.0))
        ),
        options=ChipSegmenterOptions(
            encoder=str(settings.get("encoder", "resnet18")),
            encoder_depth=int(settings.get("encoder_depth", 3)),
            indices=bool(settings.get("indices", False)),
            paired=bool(settings.get("paired", False)),
            epochs=int(settings.get("epochs", 10)),
            seed=seed,
        ),
        pixel_baseline=bool(settings.get("pixel_baseline", True)),
        n_boot=int(settings.get("bootstrap", 1000)),
        seed=seed,
        threads=int(sm.threads),
    )
