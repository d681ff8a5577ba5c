# Shared by the detection and pyramid stages (split from common.smk, which it follows): their
# config values, wildcard constraints and get_* input and target functions.
import re

from minescan.detection.record import record_path
from minescan.pyramid.budget import check_pyramid
from minescan.pyramid.levels import (
    check_workflow_screens,
    detector_level_models,
    level_statistic,
)

# Detection: one dataset per zoom level of detection.zooms and per labelled
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
    "per_tile_scaling": bool(DETECTION["per_tile_scaling"]),
    "negatives": DETECTION["negatives"],
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


def get_detection_folder_inputs(wildcards):
    """The labelled folder, and the channel ranking when the channels are not configured
    (null takes the pixel models' best channels that the folder's bands can make)."""
    inputs = {"folder": get_detection_folder(wildcards)}
    if not DETECTION["channels"]:
        inputs["ranking"] = DETECTION_RANKING
    return inputs


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


# Region-out (detection.region_out): each latitude band of a labelled folder held out in turn.
DETECTION_REGION_OUT = DETECTION["region_out"]
DETECTION_REGION_BANDS = int(DETECTION_REGION_OUT["bands"])


def get_detection_region_out_parts(wildcards):
    base = f"{RESULTS}/detection/{wildcards.labelled}/region_out"
    bands = range(DETECTION_REGION_BANDS)
    return {
        "metrics": [f"{base}/band{k}/metrics.json" for k in bands],
        "objects": [f"{base}/band{k}/objects.csv" for k in bands],
    }


def get_detection_outputs():
    """Per dataset: detections, the evaluation and its gallery, the cross-validation table,
    and the zero-shot round when weights are given."""
    names = [
        "detections.gpkg",
        "evaluation/metrics.json",
        "evaluation/gallery.png",
        "cv.csv",
    ]
    if DETECTION_WEIGHTS:
        names.append("zero_shot/metrics.json")
    region_out = [
        f"{RESULTS}/detection/{labelled}/region_out.csv"
        for labelled in DETECTION_LABELLED
        if DETECTION["enabled"] and DETECTION_REGION_OUT["enabled"]
    ]
    return [
        f"{RESULTS}/detection/{dataset}/{name}"
        for dataset in DETECTION_DATASETS
        for name in names
    ] + region_out


def get_detection_simulated(wildcards):
    """Whether a dataset's imagery is simulated (zoom levels of the synthetic backend)."""
    return (
        wildcards.dataset not in DETECTION_LABELLED
        and IMAGERY["backend"] == "synthetic"
    )


# Pyramid: levels z{zoom} of PYRAMID_ZOOMS; the scan's own cells are the cell set
# "pyramid", the region's land cells "region" (first level, exhaustive scan), the grid's cells
# imaged at a level's pixel size "validation" (the screen's thresholds).
PYRAMID_DIR = f"{RESULTS}/pyramid"
PYRAMID_TILES = f"{RESULTS}/tiles/{{cellset}}/{TRAINING_EPOCH}/z{{zoom}}"
PYRAMID_SCREEN = f"{PYRAMID_DIR}/screen/{{cellset}}/z{{zoom}}"
PYRAMID_FINEST = PYRAMID_ZOOMS[-1] if PYRAMID_ZOOMS else None
PYRAMID_DETECT = bool(PYRAMID["enabled"] and PYRAMID["detect"])
# The model file of each screen (pyramid.screen, per level): the rule pyramid_screen reads it;
# a detector level's weights (pyramid.detector_model, or the detection stage's final model of
# its zoom) are read by the rule pyramid_screen_detector.
PYRAMID_CHIP_MODEL = {
    "shipped": CHIPS_SHIPPED["model"],
    "trained": f"{CHIPS_DIR}/cnn_model.pt",
}.get(PYRAMID["chip_model"], PYRAMID["chip_model"])
PYRAMID_SCREEN_MODELS = {"pixel": DEPLOYED_MODEL, "chip_cnn": PYRAMID_CHIP_MODEL}
PYRAMID_SCREEN_OF = {level.zoom: level.screen for level in PYRAMID_LEVELS}
# The pixel screen needs the pixel models' environment; a chip_cnn level also needs torch (the
# chips stage's environment, the same packages and pytorch).
PYRAMID_SCREEN_ENV = (
    "../../envs/chips.yaml"
    if "chip_cnn" in PYRAMID_SCREEN_OF.values()
    else "../../envs/models.yaml"
)
PYRAMID_STATISTIC_OF = {
    level.zoom: level_statistic(level, PYRAMID["statistic"]) for level in PYRAMID_LEVELS
}
PYRAMID_DETECTOR_MODELS = (
    detector_level_models(
        PYRAMID_LEVELS,
        PYRAMID["detector_model"],
        DETECTION_ZOOMS if DETECTION["enabled"] else [],
        PIXEL_SIZE,
        RESULTS,
    )
    if PYRAMID["enabled"]
    else {}
)
# Each level's shards go to one of the two screen rules.
PYRAMID_DETECTOR_ZOOMS = "|".join(map(str, PYRAMID_DETECTOR_MODELS)) or "(?!)"
PYRAMID_OTHER_ZOOMS = (
    "|".join(str(z) for z, screen in PYRAMID_SCREEN_OF.items() if screen != "detector")
    or "(?!)"
)
if PYRAMID["enabled"]:
    check_workflow_screens(
        PYRAMID_LEVELS,
        IMAGERY["bands"],
        PYRAMID_SCREEN_MODELS["chip_cnn"],
        PYRAMID_CHIP_MODEL == f"{CHIPS_DIR}/cnn_model.pt"
        and Path(CHIPS["path"]).is_dir(),
        bool(PYRAMID["exhaustive"]),
        PYRAMID_DETECTOR_MODELS,
    )
# Checked once, by the process that plans the DAG: cluster jobs re-read this file and need not
# compute the region's first level again.
if PYRAMID["enabled"] and workflow.is_main_process:
    check_pyramid(
        PYRAMID,
        GRID,
        PYRAMID_LEVELS,
        detection_zooms=DETECTION_ZOOMS if DETECTION["enabled"] else [],
    )


def get_screen_model(wildcards):
    return PYRAMID_SCREEN_MODELS[PYRAMID_SCREEN_OF[int(wildcards.zoom)]]


def get_screen_name(wildcards):
    return PYRAMID_SCREEN_OF[int(wildcards.zoom)]


def get_screen_detector(wildcards):
    """A detector level's weights and the record beside them (channels, scaling, sizes)."""
    weights = PYRAMID_DETECTOR_MODELS[int(wildcards.zoom)]
    return {"model": weights, "record": str(record_path(weights))}


def get_level_statistic(wildcards):
    """The score column a level's threshold applies to (the best box at a detector level)."""
    return PYRAMID_STATISTIC_OF[int(wildcards.zoom)]


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
