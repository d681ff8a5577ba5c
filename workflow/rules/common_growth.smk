# Input and target functions of the growth stage (see common.smk for the cell sets).
from minescan.errors import MinescanInputError

# Growth: the cell set "growth" (every cell of growth.region at growth.zoom)
# imaged for each growth epoch; the footprints stage's polygons of each window; the tables.
GROWTH_DIR = f"{RESULTS}/growth/z{{zoom}}"
GROWTH_EPOCHS = [window.epoch for window in GROWTH_WINDOWS]
GROWTH_FOOTPRINTS = (
    f"{RESULTS}/footprints/growth/{{epoch}}/z{{zoom}}/footprints.parquet"
)
GROWTH_TILES = f"{RESULTS}/tiles/growth/{{epoch}}/z{{zoom}}"


def get_growth_windows():
    """The windows as plain mappings, in time order (what the measurement computes on)."""
    return [{"epoch": w.epoch, "start": w.start, "end": w.end} for w in GROWTH_WINDOWS]


def get_growth_footprints(wildcards):
    """Each growth epoch's footprints, in time order."""
    return [
        GROWTH_FOOTPRINTS.format(epoch=e, zoom=wildcards.zoom) for e in GROWTH_EPOCHS
    ]


def get_growth_inputs(wildcards):
    """The growth cells, the dated polygons, each window's footprints and the tile status of
    every shard of each window (which cells had a clear observation)."""
    inputs = {
        "cells": CELLSETS["growth"]["cells"].format(zoom=wildcards.zoom),
        "polygons": CELLSETS["growth"]["polygons"],
        "footprints": get_growth_footprints(wildcards),
    }
    shards = cellset_shards("growth", wildcards.zoom)
    for epoch in GROWTH_EPOCHS:
        tiles = GROWTH_TILES.format(epoch=epoch, zoom=wildcards.zoom)
        inputs[f"status_{epoch}"] = [f"{tiles}/{shard}.status.csv" for shard in shards]
    return inputs


def get_growth_figure_inputs(wildcards):
    """The growth tables, each window's footprints and the tiles of every shard per window."""
    folder = GROWTH_DIR.format(zoom=wildcards.zoom)
    inputs = {
        "cells": f"{folder}/cells.parquet",
        "new_sites": f"{folder}/new_sites.parquet",
        "areas": f"{folder}/areas.csv",
        "evaluation": f"{folder}/evaluation.csv",
        "footprints": get_growth_footprints(wildcards),
    }
    shards = cellset_shards("growth", wildcards.zoom)
    for epoch in GROWTH_EPOCHS:
        tiles = GROWTH_TILES.format(epoch=epoch, zoom=wildcards.zoom)
        inputs[f"tiles_{epoch}"] = [f"{tiles}/{shard}" for shard in shards]
    return inputs


def get_growth_imagery():
    """What the footprints were made from, as the growth tables say it."""
    backend = IMAGERY["backend"]
    if backend == "synthetic":
        return "SIMULATED imagery (synthetic backend) over dated polygons"
    return f"Sentinel-2 imagery ({backend} backend)"


def get_growth_chip_pairs_settings(wildcards):
    """growth.chip_pairs. Its rule exists in every run, like every stage's, but is asked for
    by name (about 12 core-minutes); asked for with the section off, it stops here."""
    settings = GROWTH.get("chip_pairs") or {"enabled": False}
    if not settings["enabled"]:
        raise MinescanInputError(
            "growth.chip_pairs.enabled",
            "rule growth_chip_pairs was asked for but growth.chip_pairs is off",
            "add --configfile config/config.yaml experiments/configs/growth_chip_pairs.yaml",
        )
    return settings


def get_growth_outputs():
    if not GROWTH["enabled"]:
        return []
    if not FOOTPRINTS["enabled"]:
        raise MinescanInputError(
            "growth.enabled",
            "growth measures the footprints stage's polygons",
            "set footprints.enabled: true, or growth.enabled: false",
        )
    zoom = int(GROWTH["zoom"])
    names = [
        "changes.csv",
        "areas.csv",
        "evaluation.csv",
        "map.png",
        "area.png",
        "gallery.png",
    ]
    growth = [f"{RESULTS}/growth/z{zoom}/{name}" for name in names]
    return growth + [
        GROWTH_FOOTPRINTS.format(epoch=e, zoom=zoom) for e in GROWTH_EPOCHS
    ]
