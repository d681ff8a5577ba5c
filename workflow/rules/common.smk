# Shared by every stage: config checks, wildcard constraints, cell sets, target registry.
from pathlib import Path

import pandas as pd

from minescan.config import canonical, check_config, zoom_cell_sizes

check_config(config)

ZOOMS = [int(z) for z in config["grid"]["zoom_levels"]]
CELL_SIZES = zoom_cell_sizes(config["grid"])
PIXEL_SIZE = int(config["grid"]["pixel_size_m"])
EPOCHS = canonical(config["imagery"]["epochs"])
TRAINING_EPOCH = str(config["imagery"]["epoch"])
RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"


wildcard_constraints:
    zoom=r"\d+",
    shard=r"[0-9A-Za-z_-]+",
    cellset=r"training|region",
    epoch="|".join(EPOCHS),


# A cell set is a family of cells tables, one per zoom level, with their shards: the grid's
# training cells (positives and negatives) and the land cells of the scan region. Tiles,
# previews and later stages take any of them; a new set registers its checkpoint here.
CELLSETS = {
    "training": {
        "checkpoint": "grid_cells",
        "cells": f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        "pixel_size_m": PIXEL_SIZE,
    },
    "region": {
        "checkpoint": "region_cells",
        "cells": f"{RESULTS}/grid/region/z{{zoom}}/cells.parquet",
        "pixel_size_m": int(config["region"].get("pixel_size_m") or PIXEL_SIZE),
    },
}


def get_cells(wildcards):
    """The cells table of a cell set's zoom level."""
    return CELLSETS[wildcards.cellset]["cells"].format(zoom=wildcards.zoom)


def get_tile_pixel_size(wildcards):
    return CELLSETS[wildcards.cellset]["pixel_size_m"]


def cellset_shards(cellset, zoom):
    """Shard ids of a cell set's zoom level, once its checkpoint has run."""
    producer = getattr(checkpoints, CELLSETS[cellset]["checkpoint"])
    table = producer.get(zoom=str(zoom)).output.shards
    return pd.read_csv(table, dtype={"shard": str})["shard"].tolist()


def per_shard(pattern, default_cellset="training"):
    """Input function: ``pattern`` for every shard of the zoom (and cell set) being built."""

    def get_per_shard(wildcards):
        chosen = getattr(wildcards, "cellset", default_cellset)
        values = dict(wildcards.items())
        return [
            pattern.format(**values, shard=shard)
            for shard in cellset_shards(chosen, wildcards.zoom)
        ]

    return get_per_shard


# Each stage file appends a function returning its final targets; `rule all` asks for them all.
FINAL_OUTPUT_FUNCTIONS = []


def get_final_outputs():
    return [path for function in FINAL_OUTPUT_FUNCTIONS for path in function()]
