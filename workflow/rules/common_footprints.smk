# Input and target functions of the footprints stage (segmentation).

from minescan.footprints.check import check_footprints_inputs

# Footprints: a segmenter per {source} (z<zoom> of footprints.zooms, or a
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
FOOTPRINTS_EPOCHS = [
    str(e) for e in (FOOTPRINTS["predict"]["epochs"] or [TRAINING_EPOCH])
]
FOOTPRINTS_BACKGROUND = FOOTPRINTS["background"] or DETECTION_BACKGROUND
FOOTPRINTS_REGION_OUT = FOOTPRINTS["region_out"]
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
        "threshold",
    )
    if key in FOOTPRINTS
}
FOOTPRINTS_TRAIN_OPTIONS["seed"] = int(DETECTION["seed"])
FOOTPRINTS_ASSESS_OPTIONS = {
    "window_px": int(FOOTPRINTS["window_px"]),
    "overlap_px": int(FOOTPRINTS["overlap_px"]),
    "min_area_m2": float(FOOTPRINTS["min_area_m2"]),
    "min_object_pixels": FOOTPRINTS_MIN_OBJECT_PIXELS,
    "background": FOOTPRINTS_BACKGROUND,
}
# The largest pixel of the tiles footprints are predicted on (min_area_m2 is at least one).
FOOTPRINTS_PREDICTED_PIXEL = max(
    [PIXEL_SIZE]
    + [
        CELLSETS[cellset]["pixel_size_m"](zoom)
        for cellset in FOOTPRINTS["predict"]["cellsets"]
        for zoom in FOOTPRINTS_ZOOMS
        if cellset in ("training", "growth") or zoom in LEVEL_PIXEL
    ]
)
if workflow.is_main_process:
    check_footprints_inputs(FOOTPRINTS, DETECTION, FOOTPRINTS_PREDICTED_PIXEL)


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
    bands = range(int(FOOTPRINTS_REGION_OUT["bands"]))
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
    if FOOTPRINTS["compare_detection"] and wildcards.source in DETECTION_DATASETS:
        inputs["detections"] = (
            f"{RESULTS}/detection/{wildcards.source}/detections.parquet"
        )
        if DETECTION_BACKGROUND:
            background = f"{RESULTS}/detection/{wildcards.source}/background"
            inputs["detection_background"] = f"{background}/detections.parquet"
            inputs["detection_background_summary"] = f"{background}/summary.json"
    return inputs


def get_footprints_predict_model(wildcards):
    """The deployed segmenter of the tiles' zoom level, or of the finest trained one for a zoom
    with none (the growth cells): tiles of every grid zoom have the same 10 m pixels."""
    zoom = int(wildcards.zoom)
    source = zoom if zoom in FOOTPRINTS_ZOOMS else max(FOOTPRINTS_ZOOMS)
    return f"{RESULTS}/footprints/model/z{source}/{FOOTPRINTS_DEPLOY}/model.pt"


def get_footprints_simulated(wildcards):
    return (
        wildcards.source not in FOOTPRINTS_LABELLED
        and IMAGERY["backend"] == "synthetic"
    )


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
    if FOOTPRINTS_REGION_OUT["enabled"]:
        targets += [
            f"{RESULTS}/footprints/model/{source}/{arch}/region_out.csv"
            for source in FOOTPRINTS_LABELLED
            for arch in FOOTPRINTS_ARCHS
        ]
    targets += [
        f"{RESULTS}/footprints/{cellset}/{epoch}/z{zoom}/footprints.{ext}"
        for ext in ("gpkg", "parquet")
        for cellset in FOOTPRINTS["predict"]["cellsets"]
        for epoch in FOOTPRINTS_EPOCHS
        for zoom in FOOTPRINTS_ZOOMS
    ]
    return targets
