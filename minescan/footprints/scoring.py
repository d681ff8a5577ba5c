"""Score any folder in the labelled-tiles layout (``tiles.csv``, ``images/``, ``masks/``) with a
trained segmenter.

    python -m minescan.footprints.scoring \\
        --model results/footprints/model/brazil_tailings/unet/model.pt \\
        --folder /data/my_tiles --out results/my_tiles [--background ../shared/data/sentinel2]

Writes ``metrics.json`` (pixel IoU, F1, precision, recall; object recall; area errors; false
alarms per 100 km² on ``--background``), ``objects.csv`` (one row per true region: covered
fraction, found), ``tiles.csv`` (areas and scores per tile), ``breakdown.csv`` (country,
climate), ``gallery.png`` and ``footprints.gpkg`` (the predicted polygons with areas in m²).
The threshold is the model's own (chosen on its validation tiles); every tile of the folder is
scored, and nothing depends on the ids, names or places of the shipped tiles.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from minescan.footprints.assess import assess, write_assessment
from minescan.footprints.data import labelled_tiles
from minescan.footprints.model import load_segmenter
from minescan.footprints.vectorise import COLUMNS, footprints
from minescan.ml.tile_tables import tile_table_from_folder
from minescan.outputs import write_gpkg
from minescan.provenance import provenance as make_provenance
from minescan.scoring_cli import labelled_folder_parser, start

LOG = logging.getLogger(__name__)


def score_folder(
    *,
    model: str | Path,
    folder: str | Path,
    out: str | Path,
    background: str | Path | None = None,
    channels: list[str] | None = None,
    window_px: int = 448,
    overlap_px: int = 64,
    min_area_m2: float = 5000.0,
    min_object_pixels: int = 20,
) -> dict:
    """Every file of the scoring of ``folder`` under ``out``; returns the metrics."""
    import torch

    out = Path(out)
    segmenter = load_segmenter(model, channels)
    table = labelled_tiles(tile_table_from_folder(folder), min_object_pixels=min_object_pixels)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    result = assess(
        segmenter,
        table,
        window_px=window_px,
        overlap_px=overlap_px,
        min_area_m2=min_area_m2,
        min_object_pixels=min_object_pixels,
        background=background,
        device=device,
    )
    settings = {
        "model": str(model),
        "folder": str(folder),
        "background": str(background) if background else None,
        "window_px": window_px,
        "overlap_px": overlap_px,
        "min_area_m2": min_area_m2,
        "min_object_pixels": min_object_pixels,
    }
    provenance = make_provenance(settings, {"model": model})
    write_assessment(
        result,
        metrics_out=out / "metrics.json",
        objects_out=out / "objects.csv",
        tiles_out=out / "tiles.csv",
        breakdown_out=out / "breakdown.csv",
        gallery_out=out / "gallery.png",
        provenance=provenance,
        title=f"{Path(folder).name}: label green, footprints red",
        extra={"folder": str(folder)},
    )
    frames = [
        footprints(
            p.footprints > 0,
            p.prob,
            p.tile.transform,
            p.tile.crs,
            min_area_m2=min_area_m2,
            cell_id=p.tile.tile,
            zoom=None,
            epoch=None,
        )
        for p in result.predictions
    ]
    found = [f for f in frames if len(f)]
    polygons = (
        gpd.GeoDataFrame(pd.concat(found, ignore_index=True), geometry="geometry", crs=4326)
        if found
        else gpd.GeoDataFrame(columns=COLUMNS, geometry="geometry", crs=4326)
    )
    write_gpkg(polygons, out / "footprints.gpkg", layer="footprints")
    return result.metrics


def main(argv: list[str] | None = None) -> dict:
    parser = labelled_folder_parser(__doc__.split("\n\n")[0], "model.pt of footprints_train")
    parser.add_argument(
        "--channels", nargs="+", help="expected channels (checked against the model)"
    )
    parser.add_argument("--window-px", type=int, default=448)
    parser.add_argument("--overlap-px", type=int, default=64)
    parser.add_argument("--min-area-m2", type=float, default=5000.0)
    args = parser.parse_args(argv)
    start(args)
    return score_folder(
        model=args.model,
        folder=args.folder,
        out=args.out,
        background=args.background,
        channels=args.channels,
        window_px=args.window_px,
        overlap_px=args.overlap_px,
        min_area_m2=args.min_area_m2,
        min_object_pixels=args.min_object_pixels,
    )


if __name__ == "__main__":
    main()
