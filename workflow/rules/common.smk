# Shared by every stage: config checks, the values rules read from the config, wildcard
# constraints, cell sets, and the get_* input and target functions (stage files hold rules only).
import re
from pathlib import Path

import pandas as pd

from minescan.config import canonical, check_config, zoom_cell_sizes
from minescan.imagery.bands import check_bands
from minescan.imagery.request import fetch_settings, tile_request
from minescan.pyramid.budget import check_pyramid
from minescan.pyramid.levels import level_cell_sizes, pyramid_levels

check_config(config)
check_bands(config["imagery"]["bands"])

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

IMAGERY = config["imagery"]
EPOCHS = canonical(IMAGERY["epochs"])
TRAINING_EPOCH = str(IMAGERY["epoch"])
TILES = f"{RESULTS}/tiles/{{cellset}}/{{epoch}}/z{{zoom}}"
PREVIEWS = f"{RESULTS}/previews/{{cellset}}/{{epoch}}/z{{zoom}}"
TRAINING_TILES = f"{RESULTS}/tiles/training/{TRAINING_EPOCH}/z{{zoom}}"

PIXELS = config["pixels"]

MODELS = config["models"]
MODELS_ZOOM = int(MODELS["zoom"]) if MODELS.get("zoom") is not None else max(ZOOMS)
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
CHIPS_SCORED = {str(name): folder for name, folder in CHIPS.get("score", {}).items()}


wildcard_constraints:
    zoom=r"\d+",
    shard=r"[0-9A-Za-z_-]+",
    cellset=r"training|validation|region|pyramid",
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
}


def get_cells(wildcards):
    """The cells table of a cell set's zoom level."""
    return CELLSETS[wildcards.cellset]["cells"].format(zoom=wildcards.zoom)


def get_tile_pixel_size(wildcards):
    return CELLSETS[wildcards.cellset]["pixel_size_m"](int(wildcards.zoom))


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
    """What one zoom level's cells depend on, and nothing else (see grid.steps.level_spec)."""
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
    """Only what the pixels depend on: a change of threads, memory or retries fetches nothing."""
    return tile_request(IMAGERY, EPOCHS[wildcards.epoch])


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
        targets.append(f"{PROBABILITY_DIR}/scores.parquet")
    return targets


def get_chips_folder(wildcards, input):
    """The folder of the chips table a rule reads."""
    return str(Path(input.chips).parent)


def get_chips_polygons(wildcards, input):
    """The yearly polygon folder a rule reads."""
    return str(input.polygons)


def get_scored_chips(wildcards):
    return f"{CHIPS_SCORED[wildcards.scored]}/chips.csv"


def get_chips_outputs():
    """The evaluation and, with polygons, the weak labels, when the chips folder exists (it is
    not shipped with minescan); the scores of the other chips folders of chips.score."""
    targets = [f"{CHIPS_DIR}/scored/{name}/metrics.csv" for name in CHIPS_SCORED]
    if not Path(CHIPS["path"]).is_dir():
        logger.warning(f"chips.path {CHIPS['path']} not found: the real-chip evaluation is skipped")
        return targets
    targets.append(f"{CHIPS_DIR}/metrics.csv")
    if CHIPS.get("polygons") and Path(CHIPS["polygons"]).is_dir():
        targets.append(f"{CHIPS_DIR}/weak_labels/metrics.csv")
    elif CHIPS.get("polygons"):
        logger.warning(f"chips.polygons {CHIPS['polygons']} not found: weak labels are skipped")
    return targets


def get_final_outputs():
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
    ]
    return [path for stage in stages for path in stage()]


# Detection (seed 002, 4.2-4.3): one dataset per zoom level of detection.zooms and per labelled
# folder of detection.labelled; {dataset} is z<zoom> or the folder's name.
DETECTION = config["detection"]
DETECTION_ZOOMS = (
    ZOOMS if DETECTION["zooms"] is None else [int(z) for z in DETECTION["zooms"]]
)
DETECTION_LABELLED = {str(k): str(v) for k, v in (DETECTION["labelled"] or {}).items()}
DETECTION_DATASETS = (
    [f"z{zoom}" for zoom in DETECTION_ZOOMS] + list(DETECTION_LABELLED)
    if DETECTION["enabled"]
    else []
)
DETECTION_DIR = f"{RESULTS}/detection/{{dataset}}"
DETECTION_FOLDS = [f"fold{k}" for k in range(int(DETECTION["folds"]))]
# Ultralytics' settings and fonts: inside the results, never the home folder.
DETECTION_SETTINGS = f"{RESULTS}/detection/ultralytics"
DETECTION_RANKING = f"{RESULTS}/models/z{MODELS_ZOOM}/channels.json"
DETECTION_WEIGHTS = DETECTION["weights"]
DETECTION_START = DETECTION_WEIGHTS or DETECTION["model"]
DETECTION_DATASET_OPTIONS = {
    "min_object_pixels": int(DETECTION["min_object_pixels"]),
    "split_by": DETECTION["split"]["by"],
    "block_km": float(DETECTION["split"]["block_km"]),
    "folds": int(DETECTION["folds"]),
    "test_fraction": float(DETECTION["split"]["test_fraction"]),
    "seed": int(DETECTION["seed"]),
    "percentiles": [float(p) for p in DETECTION["scaling_percentiles"]],
}
DETECTION_TRAIN_OPTIONS = {
    "epochs": int(DETECTION["epochs"]),
    "image_size": int(DETECTION["image_size"]),
    "batch": int(DETECTION["batch"]),
    "patience": int(DETECTION["patience"]),
    "seed": int(DETECTION["seed"]),
    "hyperparameters": dict(sorted((DETECTION["hyperparameters"] or {}).items())),
}
# Training chips and prediction windows in tile pixels; larger than image_size shrinks them.
DETECTION_WINDOW_PX = int(DETECTION["window_px"] or DETECTION["image_size"])
DETECTION_PREDICT_OPTIONS = {
    "image_size": int(DETECTION["image_size"]),
    "window_px": DETECTION_WINDOW_PX,
    "confidence": float(DETECTION["predict_confidence"]),
    "iou": float(DETECTION["iou"]),
    "overlap": int(DETECTION["window_overlap"]),
}
DETECTION_BACKGROUND = DETECTION["background"]


wildcard_constraints:
    dataset="|".join([r"z\d+", *map(re.escape, DETECTION_LABELLED)]),
    labelled="|".join(map(re.escape, DETECTION_LABELLED)) or "(?!)",
    run=r"fold\d+|final",


def get_detection_zoom_inputs(wildcards):
    """Tiles (every shard) and cells of a zoom level, and the channel ranking when the channels
    are not configured."""
    inputs = {
        "cells": f"{RESULTS}/grid/z{wildcards.zoom}/cells.parquet",
        "statuses": per_shard(f"{TRAINING_TILES}/{{shard}}.status.csv")(wildcards),
        "tiles": per_shard(f"{TRAINING_TILES}/{{shard}}")(wildcards),
    }
    if not DETECTION["channels"]:
        inputs["ranking"] = DETECTION_RANKING
    return inputs


def get_detection_folder(wildcards):
    return DETECTION_LABELLED[wildcards.labelled]


def get_detection_start_weights(wildcards):
    """The local weights training and zero-shot start from (none: a model yaml)."""
    return [DETECTION_WEIGHTS] if DETECTION_WEIGHTS else []


def get_detection_parts(wildcards):
    """Detections of every shard of a zoom level, or the one part of a labelled folder."""
    pattern = f"{RESULTS}/detection/{wildcards.dataset}/detections/{{shard}}.parquet"
    if wildcards.dataset in DETECTION_LABELLED:
        return [pattern.format(shard="all")]
    zoom = wildcards.dataset.removeprefix("z")
    return [pattern.format(shard=shard) for shard in cellset_shards("training", zoom)]


def get_detection_background(wildcards):
    if not DETECTION_BACKGROUND:
        return {}
    return {
        "background": f"{RESULTS}/detection/{wildcards.dataset}/background/detections.parquet",
        "background_summary": f"{RESULTS}/detection/{wildcards.dataset}/background/summary.json",
    }


def get_detection_outputs():
    """Per dataset: detections, the evaluation and its gallery, the cross-validation table,
    and the zero-shot round when weights are given."""
    names = ["detections.gpkg", "evaluation/metrics.json", "evaluation/gallery.png", "cv.csv"]
    if DETECTION_WEIGHTS:
        names.append("zero_shot/metrics.json")
    return [
        f"{RESULTS}/detection/{dataset}/{name}" for dataset in DETECTION_DATASETS for name in names
    ]


def get_detection_simulated(wildcards):
    """Whether a dataset's imagery is simulated (zoom levels of the synthetic backend)."""
    return wildcards.dataset not in DETECTION_LABELLED and IMAGERY["backend"] == "synthetic"


# Pyramid (seed 002, 4.1): levels z{zoom} of PYRAMID_ZOOMS; the scan's own cells are the cell set
# "pyramid", the region's land cells "region" (first level, exhaustive scan), the grid's cells
# imaged at a level's pixel size "validation" (the screen's thresholds).
PYRAMID_DIR = f"{RESULTS}/pyramid"
PYRAMID_TILES = f"{RESULTS}/tiles/{{cellset}}/{TRAINING_EPOCH}/z{{zoom}}"
PYRAMID_SCREEN = f"{PYRAMID_DIR}/screen/{{cellset}}/z{{zoom}}"
PYRAMID_FINEST = PYRAMID_ZOOMS[-1] if PYRAMID_ZOOMS else None
PYRAMID_DETECT = bool(PYRAMID["enabled"] and PYRAMID["detect"])
# Checked once, by the process that plans the DAG: cluster jobs re-read this file and need not
# compute the region's first level again.
if PYRAMID["enabled"] and workflow.is_main_process:
    check_pyramid(
        PYRAMID,
        GRID,
        PYRAMID_LEVELS,
        detection_zooms=DETECTION_ZOOMS if DETECTION["enabled"] else [],
    )


def get_pyramid_parent(wildcards):
    """The first level starts from the region's cells; the others from the previous level's
    cells, screen scores and threshold."""
    zoom = int(wildcards.zoom)
    if zoom == PYRAMID_ZOOMS[0]:
        return {"start": f"{RESULTS}/grid/region/z{zoom}/cells.parquet"}
    parent = zoom - 1
    return {
        "parent_cells": f"{PYRAMID_DIR}/z{parent}/cells.parquet",
        "parent_scores": f"{PYRAMID_DIR}/screen/pyramid/z{parent}/scores.parquet",
        "parent_threshold": f"{PYRAMID_DIR}/thresholds/z{parent}.json",
    }


def pyramid_level_files(cellset, name):
    """``name`` (cells or scores) of every level of a cell set, coarsest first."""
    cells = {"region": f"{RESULTS}/grid/region", "pyramid": PYRAMID_DIR}[cellset]
    pattern = {
        "cells": f"{cells}/z{{zoom}}/cells.parquet",
        "scores": f"{PYRAMID_DIR}/screen/{cellset}/z{{zoom}}/scores.parquet",
    }[name]
    return [pattern.format(zoom=zoom) for zoom in PYRAMID_ZOOMS]


def get_pyramid_detections(wildcards):
    """The detector's boxes on every shard of the finest level (none without the detector)."""
    if not PYRAMID_DETECT:
        return []
    return [
        f"{PYRAMID_DIR}/detections/z{PYRAMID_FINEST}/{shard}.parquet"
        for shard in cellset_shards("pyramid", PYRAMID_FINEST)
    ]


def get_pyramid_outputs():
    if not PYRAMID["enabled"]:
        return []
    return [
        f"{PYRAMID_DIR}/summary.csv",
        f"{PYRAMID_DIR}/curve.png",
        f"{PYRAMID_DIR}/levels.png",
        f"{PYRAMID_DIR}/scan.gpkg",
        f"{PYRAMID_DIR}/plan.csv",
    ]


# Footprints (seeds 000, 001, 003): a segmenter per {source} (z<zoom> of footprints.zooms, or a
# labelled folder's name) and architecture, under results/footprints/model/{source}/{arch}/;
# footprints of every predicted cell set, epoch and zoom under
# results/footprints/{cellset}/{epoch}/z{zoom}/ (per shard, merged). The splits are the
# detection stage's (its split, folds and seed), so both stages hold out the same tiles.
FOOTPRINTS = config["footprints"]
FOOTPRINTS_ZOOMS = (
    ZOOMS if FOOTPRINTS["zooms"] is None else [int(z) for z in FOOTPRINTS["zooms"]]
)
FOOTPRINTS_LABELLED = {
    str(k): str(v)
    for k, v in (
        DETECTION_LABELLED if FOOTPRINTS["labelled"] is None else FOOTPRINTS["labelled"]
    ).items()
}
FOOTPRINTS_SOURCES = (
    [f"z{zoom}" for zoom in FOOTPRINTS_ZOOMS] + list(FOOTPRINTS_LABELLED)
    if FOOTPRINTS["enabled"]
    else []
)
FOOTPRINTS_ARCHS = list(FOOTPRINTS["architectures"])
FOOTPRINTS_DEPLOY = FOOTPRINTS["deploy"]
FOOTPRINTS_MODEL = f"{RESULTS}/footprints/model/{{source}}/{{arch}}"
FOOTPRINTS_SHARDS = f"{RESULTS}/footprints/{{cellset}}/{{epoch}}/z{{zoom}}"
FOOTPRINTS_CHANNELS = FOOTPRINTS["channels"] or DETECTION["channels"]
FOOTPRINTS_EPOCHS = [str(e) for e in (FOOTPRINTS["predict"]["epochs"] or [TRAINING_EPOCH])]
FOOTPRINTS_BACKGROUND = FOOTPRINTS["background"] or DETECTION_BACKGROUND
FOOTPRINTS_REGION_OUT = FOOTPRINTS.get("region_out") or {}
FOOTPRINTS_MIN_OBJECT_PIXELS = int(
    FOOTPRINTS["min_object_pixels"] or DETECTION["min_object_pixels"]
)
# The detection stage's split of the same tiles (same functions, same values).
FOOTPRINTS_SPLIT = {
    "split_by": DETECTION["split"]["by"],
    "block_km": float(DETECTION["split"]["block_km"]),
    "folds": int(DETECTION["folds"]),
    "test_fraction": float(DETECTION["split"]["test_fraction"]),
    "seed": int(DETECTION["seed"]),
}
FOOTPRINTS_TRAIN_OPTIONS = {
    key: FOOTPRINTS[key]
    for key in (
        "encoder",
        "encoder_depth",
        "chip_px",
        "chips_per_tile",
        "batch",
        "epochs",
        "learning_rate",
        "positive_fraction",
        "focal_weight",
        "focal_gamma",
        "window_px",
        "overlap_px",
    )
    if key in FOOTPRINTS
}
FOOTPRINTS_TRAIN_OPTIONS["seed"] = int(DETECTION["seed"])
FOOTPRINTS_ASSESS_OPTIONS = {
    "window_px": int(FOOTPRINTS.get("window_px", 448)),
    "overlap_px": int(FOOTPRINTS.get("overlap_px", 64)),
    "min_area_m2": float(FOOTPRINTS["min_area_m2"]),
    "min_object_pixels": FOOTPRINTS_MIN_OBJECT_PIXELS,
    "background": FOOTPRINTS_BACKGROUND,
}
wildcard_constraints:
    source="|".join([r"z\d+", *map(re.escape, FOOTPRINTS_LABELLED)]),
    arch=r"unet|fpn",
    band=r"\d+",


def get_footprints_train_inputs(wildcards):
    """A zoom level's tiles and cells, or a labelled folder; the channel ranking when no
    channels are configured; the local encoder weights when given."""
    if wildcards.source in FOOTPRINTS_LABELLED:
        inputs = {"folder": FOOTPRINTS_LABELLED[wildcards.source]}
    else:
        zoom = wildcards.source.removeprefix("z")
        tiles = TRAINING_TILES.format(zoom=zoom)
        shards = cellset_shards("training", zoom)
        inputs = {
            "cells": f"{RESULTS}/grid/z{zoom}/cells.parquet",
            "statuses": [f"{tiles}/{shard}.status.csv" for shard in shards],
            "tiles": [f"{tiles}/{shard}" for shard in shards],
        }
    if not FOOTPRINTS_CHANNELS:
        inputs["ranking"] = DETECTION_RANKING
    if FOOTPRINTS["encoder_weights"]:
        inputs["encoder_weights"] = FOOTPRINTS["encoder_weights"]
    return inputs


def get_footprints_train_options(wildcards):
    return {**FOOTPRINTS_TRAIN_OPTIONS, "arch": wildcards.arch}


def get_footprints_region_out_folder(wildcards):
    return FOOTPRINTS_LABELLED[wildcards.source]


def get_footprints_region_out_parts(wildcards):
    bands = range(int(FOOTPRINTS_REGION_OUT.get("bands", 3)))
    base = f"{RESULTS}/footprints/model/{wildcards.source}/{wildcards.arch}/region_out"
    return {
        "metrics": [f"{base}/band{band}.json" for band in bands],
        "objects": [f"{base}/band{band}_objects.csv" for band in bands],
    }


def get_footprints_evaluate_inputs(wildcards):
    """The model and its tile table; the detector's boxes on the same tiles (and on the
    mine-free scenes) when the detection stage runs on the same source."""
    model = f"{RESULTS}/footprints/model/{wildcards.source}/{wildcards.arch}"
    inputs = {"model": f"{model}/model.pt", "table": f"{model}/tiles.csv"}
    if FOOTPRINTS.get("compare_detection", True) and wildcards.source in DETECTION_DATASETS:
        inputs["detections"] = f"{RESULTS}/detection/{wildcards.source}/detections.parquet"
        if DETECTION_BACKGROUND:
            background = f"{RESULTS}/detection/{wildcards.source}/background"
            inputs["detection_background"] = f"{background}/detections.parquet"
            inputs["detection_background_summary"] = f"{background}/summary.json"
    return inputs


def get_footprints_simulated(wildcards):
    return wildcards.source not in FOOTPRINTS_LABELLED and IMAGERY["backend"] == "synthetic"


def get_footprints_outputs():
    """Per source and architecture: the model's evaluation; per labelled folder the region-out
    table; per zoom, predicted cell set and epoch: the merged footprints."""
    if not FOOTPRINTS["enabled"]:
        return []
    targets = [
        f"{RESULTS}/footprints/model/{source}/{arch}/evaluation/metrics.json"
        for source in FOOTPRINTS_SOURCES
        for arch in FOOTPRINTS_ARCHS
    ]
    if FOOTPRINTS_REGION_OUT.get("enabled", True):
        targets += [
            f"{RESULTS}/footprints/model/{source}/{arch}/region_out.csv"
            for source in FOOTPRINTS_LABELLED
            for arch in FOOTPRINTS_ARCHS
        ]
    targets += [
        f"{RESULTS}/footprints/{cellset}/{epoch}/z{zoom}/footprints.gpkg"
        for cellset in FOOTPRINTS["predict"]["cellsets"]
        for epoch in FOOTPRINTS_EPOCHS
        for zoom in FOOTPRINTS_ZOOMS
    ]
    return targets
