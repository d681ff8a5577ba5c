# Shared by every stage: config checks, the values rules read from the config, wildcard
# constraints, cell sets, and the get_* input and target functions (stage files hold rules only).
from pathlib import Path

import pandas as pd
import yaml

from minescan.chips.table import check_chips_inputs
from minescan.config import canonical, check_config, zoom_cell_sizes
from minescan.detection.check import check_detection_inputs
from minescan.grid.budget import check_grid_size
from minescan.grid.scope import scope_warnings
from minescan.growth.config import check_growth
from minescan.imagery.bands import check_bands
from minescan.imagery.backends.gee import composite_params as gee_composite_params
from minescan.imagery.backends.gee_cost import RunLedger, add_cells_file
from minescan.imagery.check import check_imagery_inputs
from minescan.imagery.remote_check import (
    EE_RESOURCE,
    check_imagery,
    ee_requests_per_job,
    gee_budget,
)
from minescan.imagery.composite import tiles_job_mem_mb
from minescan.imagery.local_coverage import check_local_coverage
from minescan.imagery.request import fetch_settings, tile_request
from minescan.polygons.steps import check_polygons
from minescan.pyramid.levels import level_cell_sizes, pyramid_levels

POLYGONS = config["polygons"]
check_config(config)
check_bands(config["imagery"]["bands"])
check_imagery(config["imagery"])
# The run-wide budget of Earth Engine requests in flight: every tiles job declares its own
# concurrency as this resource, so Snakemake never runs jobs whose requests add up to more than
# the project's quota (imagery.gee.max_requests), on one machine or on a cluster; a
# --resources earthengine_requests=N on the command line wins.
workflow.global_resources.setdefault(EE_RESOURCE, gee_budget(config["imagery"])[1])
# Everything the run will read, checked once by the process that plans the DAG and before any
# job, so that a bad input stops with its file and line instead of failing inside a job
# (cluster jobs re-read this file and need not open every input again).
if workflow.is_main_process:
    CHECKED_POLYGONS = check_polygons(
        POLYGONS["path"],
        POLYGONS["layer"],
        POLYGONS["schema"],
        POLYGONS.get("date_column"),
    )
    check_grid_size(CHECKED_POLYGONS, config["grid"], POLYGONS["path"])
    SHIPPED_CONFIG = yaml.safe_load(
        (Path(workflow.basedir) / "config" / "config.yaml").read_text()
    )
    for warning in scope_warnings(config, CHECKED_POLYGONS, SHIPPED_CONFIG):
        logger.warning(f"minescan: {warning}")
    check_imagery_inputs(config["imagery"])
    check_local_coverage(config["imagery"], CHECKED_POLYGONS)
    check_chips_inputs(config["chips"])
    check_detection_inputs(config["detection"])

RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"

GRID = config["grid"]
ZOOMS = [int(z) for z in GRID["zoom_levels"]]
PIXEL_SIZE = int(GRID["pixel_size_m"])
PYRAMID = config["pyramid"]
PYRAMID_LEVELS = pyramid_levels(GRID, PYRAMID) if PYRAMID["enabled"] else []
PYRAMID_ZOOMS = [level.zoom for level in PYRAMID_LEVELS]
# Cell sides of the grid's zoom levels and of the pyramid's, on one chain.
CELL_SIZES = {**level_cell_sizes(GRID, PYRAMID_ZOOMS), **zoom_cell_sizes(GRID)}
LEVEL_PIXEL = {level.zoom: level.pixel_size_m for level in PYRAMID_LEVELS}
# Dated polygons pass their date column to cleaning; undated ones leave the rule's params as they
# always were, so results made before dates existed do not rerun.
POLYGON_DATES = (
    {"date_column": config["polygons"]["date_column"]}
    if config["polygons"]["date_column"]
    else {}
)
# The growth section (absent: no growth stage); its date windows in time order, checked here.
GROWTH = config.get("growth") or {"enabled": False}
GROWTH_WINDOWS = check_growth(GROWTH, config["imagery"], list(CELL_SIZES))

IMAGERY = config["imagery"]
EPOCHS = canonical(IMAGERY["epochs"])
TRAINING_EPOCH = str(IMAGERY["epoch"])
TILES = f"{RESULTS}/tiles/{{cellset}}/{{epoch}}/z{{zoom}}"
PREVIEWS = f"{RESULTS}/previews/{{cellset}}/{{epoch}}/z{{zoom}}"
TRAINING_TILES = f"{RESULTS}/tiles/training/{TRAINING_EPOCH}/z{{zoom}}"

PIXELS = config["pixels"]

MODELS = config["models"]
MODELS_ZOOM = int(MODELS["zoom"]) if MODELS["zoom"] is not None else max(ZOOMS)
MODELS_BANDS = list(IMAGERY["bands"])
MODELS_DIR = f"{RESULTS}/models/z{{zoom}}"
MODELS_UNITS = ["pixel", "patch"] if int(MODELS["patch_size"]) > 1 else ["pixel"]
MODELS_FEATURE_FLAGS = {
    "use_bands": MODELS["features"]["bands"],
    "pairs": MODELS["features"]["pairs"],
    "indices": MODELS["features"]["indices"],
}
# unit/model -> predictions file (with {zoom}) of every compared model.
MODELS_PREDICTIONS = {
    f"{unit}/{name}": f"{MODELS_DIR}/{unit}/{folder}/predictions.parquet"
    for unit in MODELS_UNITS
    for name, folder in [
        ("lasso", "lasso"),
        ("logistic_l1", "logistic"),
        *[(family, family) for family in MODELS["families"]],
    ]
}
# The model the probability stage applies and exports (models.deploy).
DEPLOYED_MODEL = f"{RESULTS}/models/z{MODELS_ZOOM}/pixel/{MODELS['deploy']}/model.json"

PROBABILITY = config["probability"]
PROBABILITY_DIR = f"{RESULTS}/probability/z{MODELS_ZOOM}"

CHIPS = config["chips"]
CHIPS_DIR = f"{RESULTS}/chips"
CHIPS_CNN = CHIPS["cnn"]
# Other chips folders scored by the trained CNN: name -> folder.
CHIPS_SCORED = {str(name): folder for name, folder in CHIPS["score"].items()}
CHIPS_GALLERY = CHIPS["gallery"]
CHIPS_SHIPPED = CHIPS["shipped"]
# Read once, so an absent scene is named once per run.
MINE_FREE_SCENES = [s for s in CHIPS_SHIPPED["mine_free_scenes"] if Path(s).is_dir()]
for _scene in sorted(set(CHIPS_SHIPPED["mine_free_scenes"]) - set(MINE_FREE_SCENES)):
    logger.warning(f"chips.shipped.mine_free_scenes: {_scene} not found, skipped")


wildcard_constraints:
    zoom=r"\d+",
    shard=r"[0-9A-Za-z_-]+",
    cellset=r"training|validation|region|pyramid|growth",
    epoch="|".join(EPOCHS),
    unit=r"pixel|patch",
    linear=r"lasso|logistic",
    family=r"hist_gradient_boosting|random_forest",
    scored="|".join(CHIPS_SCORED) or r"(?!)",


# A cell set is a family of cells tables, one per zoom level, with their shards: the grid's
# training cells (positives and negatives); the same cells imaged at a pyramid level's pixel
# size (validation of the level's screen); every land cell of the pyramid's region (its first
# level and the exhaustive scan); and the cells each pyramid level scores. Tiles, previews and
# later stages take any of them; a new set registers its checkpoint here.
CELLSETS = {
    "training": {
        "checkpoint": "grid_cells",
        "cells": f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        "pixel_size_m": lambda zoom: PIXEL_SIZE,
    },
    "validation": {
        "checkpoint": "grid_cells",
        "cells": f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        "pixel_size_m": lambda zoom: LEVEL_PIXEL[zoom],
    },
    "region": {
        "checkpoint": "region_cells",
        "cells": f"{RESULTS}/grid/region/z{{zoom}}/cells.parquet",
        "pixel_size_m": lambda zoom: LEVEL_PIXEL[zoom],
    },
    "pyramid": {
        "checkpoint": "pyramid_cells",
        "cells": f"{RESULTS}/pyramid/z{{zoom}}/cells.parquet",
        "pixel_size_m": lambda zoom: LEVEL_PIXEL[zoom],
    },
    # Every cell of the growth region, imaged for each growth epoch over the dated polygons.
    "growth": {
        "checkpoint": "growth_cells",
        "cells": f"{RESULTS}/grid/growth/z{{zoom}}/cells.parquet",
        "pixel_size_m": lambda zoom: PIXEL_SIZE,
        "polygons": f"{RESULTS}/polygons/growth/polygons.parquet",
        "dated": bool(GROWTH.get("date_column")),
    },
}
# The other cell sets image the configured polygons.
for _cellset in CELLSETS.values():
    _cellset.setdefault("polygons", f"{RESULTS}/polygons/polygons.parquet")
    _cellset.setdefault("dated", bool(config["polygons"]["date_column"]))


def get_cells(wildcards):
    """The cells table of a cell set's zoom level."""
    return CELLSETS[wildcards.cellset]["cells"].format(zoom=wildcards.zoom)


# The run's Earth Engine compute, estimated level by level as each level's cells become known
# (the DAG of its tiles jobs is built before any of them runs): logged, and above
# imagery.gee.max_eecu_hours the run stops before the level's first request.
EE_LEDGER = RunLedger((IMAGERY.get("gee") or {}).get("max_eecu_hours"))


def get_tile_cells(wildcards):
    """The cells table of a tiles job, its level added to the run's Earth Engine estimate."""
    cells = get_cells(wildcards)
    if workflow.is_main_process:
        name = f"{wildcards.cellset}/{wildcards.epoch}/z{wildcards.zoom}"
        line = add_cells_file(EE_LEDGER, cells, name, IMAGERY, EPOCHS[wildcards.epoch])
        if line:
            logger.info(f"minescan: {line}")
    return cells


def get_tile_polygons(wildcards):
    """The cleaned polygons a cell set's tiles show."""
    return CELLSETS[wildcards.cellset]["polygons"]


def get_tile_pixel_size(wildcards):
    return CELLSETS[wildcards.cellset]["pixel_size_m"](int(wildcards.zoom))


def get_tile_mem_mb(wildcards):
    """A tiles job's memory: imagery.mem_mb, or what the stac backend's cells of this zoom
    and pixel size need at once when more (minescan.imagery.composite)."""
    zoom = int(wildcards.zoom)
    pixel = getattr(wildcards, "cellset", None) and get_tile_pixel_size(wildcards)
    return tiles_job_mem_mb(IMAGERY, CELL_SIZES[zoom], pixel or LEVEL_PIXEL[zoom])


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


def get_level(wildcards):
    """What one zoom level's cells depend on, and nothing else (see grid.build.level_spec)."""
    zoom = int(wildcards.zoom)
    return {
        "cell_size_m": CELL_SIZES[zoom],
        "parent_zoom": zoom - 1 if zoom - 1 in CELL_SIZES else None,
        "pixel_size_m": PIXEL_SIZE,
        "min_overlap_fraction": float(GRID["min_overlap_fraction"]),
        "max_cells_per_shard": int(GRID["max_cells_per_shard"]),
        "shard_block_m": int(GRID["shard_block_m"]),
    }


def get_tile_request(wildcards):
    """Only what the pixels depend on: a change of threads, memory or retries fetches nothing.
    Dated polygons add the window's end, before which they must have been first mapped.
    """
    dated = CELLSETS[wildcards.cellset]["dated"]
    return tile_request(IMAGERY, EPOCHS[wildcards.epoch], dated_polygons=dated)


# Final targets of each stage; `rule all` and the stage target rules in the Snakefile ask for them.


def get_grid_outputs():
    """Every grid product of every zoom level, and the map of the pyramid region's cells."""
    targets = expand(
        [
            f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
            f"{RESULTS}/grid/z{{zoom}}/cells.gpkg",
            f"{RESULTS}/grid/z{{zoom}}/locations.csv",
            f"{RESULTS}/grid/z{{zoom}}/map.png",
        ],
        zoom=ZOOMS,
    )
    if PYRAMID["enabled"]:
        targets += expand(
            f"{RESULTS}/grid/region/z{{zoom}}/{{name}}",
            zoom=PYRAMID_ZOOMS[0],
            name=["cells.parquet", "map.png"],
        )
    return targets


def get_imagery_outputs():
    """Status summaries and contact-sheet indexes of the training tiles (every zoom level), of
    the training epoch; the pyramid's tiles are the pyramid stage's."""
    return [
        path
        for zoom in ZOOMS
        for path in (
            f"{RESULTS}/tiles/training/{TRAINING_EPOCH}/z{zoom}/status.csv",
            f"{RESULTS}/previews/training/{TRAINING_EPOCH}/z{zoom}/sheets.csv",
        )
    ]


def get_pixels_outputs():
    return expand(f"{RESULTS}/pixels/z{{zoom}}/summary.csv", zoom=ZOOMS)


def get_models_outputs():
    base = f"{RESULTS}/models/z{MODELS_ZOOM}"
    return [
        f"{base}/comparison.csv",
        f"{base}/channels.json",
        f"{base}/pixel/lasso/weights.png",
        f"{base}/pixel/logistic/weights.png",
    ]


def get_probability_outputs():
    targets = [f"{PROBABILITY_DIR}/gee/mine_probability.js"]
    if PROBABILITY["enabled"]:
        targets += [
            f"{PROBABILITY_DIR}/scores.parquet",
            f"{PROBABILITY_DIR}/scores.png",
        ]
    return targets


def get_chips_folder(wildcards, input):
    """The folder of the chips table a rule reads."""
    return str(Path(input.chips).parent)


def get_chips_evaluate_inputs(wildcards):
    """The chips table, and the weak labels' per-chip table when the CNNs train on clean
    labels (chips.cnn.clean_labels)."""
    inputs = {"chips": f"{CHIPS['path']}/chips.csv"}
    if CHIPS_CNN["clean_labels"]:
        inputs["weak_chips"] = f"{CHIPS_DIR}/weak_labels/chips.csv"
    return inputs


def get_chips_weak_chips(wildcards, input):
    return str(input.weak_chips) if "weak_chips" in input.keys() else None


def get_chips_polygons(wildcards, input):
    """The yearly polygon folder a rule reads."""
    return str(input.polygons)


def get_scored_chips(wildcards):
    return f"{CHIPS_SCORED[wildcards.scored]}/chips.csv"


def get_chips_outputs():
    """The evaluation and, with polygons, the weak labels, when the chips folder exists (it is
    not shipped with minescan); the scores of the other chips folders of chips.score."""
    targets = [f"{CHIPS_DIR}/scored/{name}/metrics.csv" for name in CHIPS_SCORED]
    if get_mine_free_scenes():
        targets.append(f"{CHIPS_DIR}/shipped/mine_free.csv")
    if not Path(CHIPS["path"]).is_dir():
        logger.warning(
            f"chips.path {CHIPS['path']} not found: the real-chip evaluation is skipped"
        )
        return targets
    targets.append(f"{CHIPS_DIR}/metrics.csv")
    if CHIPS["polygons"] and Path(CHIPS["polygons"]).is_dir():
        targets.append(f"{CHIPS_DIR}/weak_labels/metrics.csv")
    elif CHIPS["polygons"]:
        logger.warning(
            f"chips.polygons {CHIPS['polygons']} not found: weak labels are skipped"
        )
    return targets


def get_mine_free_scenes():
    """The real mine-free scenes the shipped chip model is scanned over (those present)."""
    return MINE_FREE_SCENES


def get_chip_model_outputs():
    """The gallery model (and its evaluation with chips.gallery.evaluate)."""
    if not CHIPS_GALLERY["path"] or not Path(CHIPS_GALLERY["path"]).is_dir():
        return (
            []
        )  # chip_model then has nothing to do; the docs say where the gallery lies
    targets = [f"{CHIPS_DIR}/gallery/model.pt"]
    if CHIPS_GALLERY["evaluate"]:
        targets.append(f"{CHIPS_DIR}/gallery/evaluation/summary.csv")
    return targets


def get_final_outputs():
    return get_stage_outputs() + get_map_outputs()


def get_stage_outputs():
    """The targets of every stage before the map and the report."""
    stages = [
        get_grid_outputs,
        get_imagery_outputs,
        get_pixels_outputs,
        get_models_outputs,
        get_probability_outputs,
        get_chips_outputs,
        get_detection_outputs,
        get_pyramid_outputs,
        get_footprints_outputs,
        get_growth_outputs,
    ]
    return [path for stage in stages for path in stage()]
