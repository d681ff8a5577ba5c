# Input and target functions of the web map and the report's first page.
from pathlib import Path

from minescan.webmap import catalogue as webmap
from minescan.webmap.catalogue import layer

# The web map (minescan/webmap) and the report's first page. MAP_LAYERS holds one line per
# vector layer, (key, title, file, popup columns, style, options); get_map_inputs draws a
# layer only when the workflow makes its file, so a new stage's layer is one more line here.
MAP = config["map"]
MAP_DIR = f"{RESULTS}/map"
MAP_SUBTITLE = (
    f"{Path(config['polygons']['path']).name}, imagery {IMAGERY['backend']}, "
    f"epoch {TRAINING_EPOCH}"
)
REPORT_DIR = f"{RESULTS}/report"
# Relative to the page, so that they work opened from disk and served over HTTP alike.
_TILE_LINK = f"../tiles/training/{TRAINING_EPOCH}/z{{zoom}}/{{shard}}/{{cell_id}}.tif"
_PREVIEW_LINK = (
    f"../previews/training/{TRAINING_EPOCH}/z{{zoom}}/{{shard}}/{{cell_id}}.jpg"
)
_CELL_LINKS = {"tile": _TILE_LINK, "preview": _PREVIEW_LINK}
_PROBABILITY_SCORES = f"{PROBABILITY_DIR}/scores.parquet"
MAP_POLYGONS = f"{RESULTS}/polygons/polygons.parquet"


def _pixel_m(cellset, zoom):
    """The pixel size of a cell set's imagery at a zoom level (the grid's where the set has
    none there, e.g. a pyramid set at a zoom that is no pyramid level)."""
    try:
        return float(CELLSETS[cellset]["pixel_size_m"](zoom))
    except KeyError:
        return float(PIXEL_SIZE)


MAP_LAYERS = [
    layer(
        "polygons",
        "Mining polygons (ground truth)",
        MAP_POLYGONS,
        webmap.POLYGON_POPUP,
        webmap.POLYGON_STYLE,
    ),
    *(
        [
            layer(
                "region",
                "Scan region",
                f"{RESULTS}/grid/region/z{PYRAMID_ZOOMS[0]}/cells.parquet",
                ("cells",),
                webmap.REGION_STYLE,
                dissolve=True,
            )
        ]
        if PYRAMID["enabled"]
        else []
    ),
    *[
        layer(
            f"grid_z{z}",
            f"Grid cells z{z}",
            f"{RESULTS}/grid/z{z}/cells.parquet",
            webmap.CELL_POPUP,
            webmap.CELL_STYLE,
            group="Grid",
            colour_by="label",
            colours=webmap.LABEL_COLOURS,
            links=_CELL_LINKS,
            visible=z == ZOOMS[0],
            joins=(
                [_PROBABILITY_SCORES]
                if z == MODELS_ZOOM and PROBABILITY["enabled"]
                else []
            ),
        )
        for z in ZOOMS
    ],
    *[
        layer(
            f"pyramid_z{z}",
            f"Pyramid level z{z}",
            f"{PYRAMID_DIR}/scan.gpkg",
            webmap.LEVEL_POPUP,
            webmap.LEVEL_STYLE,
            group="Pyramid",
            layer="cells",
            query=f"zoom == {z}",
            colour_by="kept",
            colours=webmap.KEPT_COLOURS,
            visible=False,
        )
        for z in PYRAMID_ZOOMS
    ],
    *[
        layer(
            f"detections_{d}",
            f"Detections {d}",
            f"{RESULTS}/detection/{d}/detections.gpkg",
            webmap.DETECTION_POPUP,
            webmap.DETECTION_STYLE,
            group="Detection",
            visible=False,
        )
        for d in DETECTION_DATASETS
    ],
    *(
        [
            layer(
                "pyramid_detections",
                "Pyramid detections",
                f"{PYRAMID_DIR}/scan.gpkg",
                webmap.DETECTION_POPUP,
                webmap.DETECTION_STYLE,
                group="Pyramid",
                layer="detections",
                visible=False,
            )
        ]
        if PYRAMID_DETECT
        else []
    ),
    *[
        layer(
            f"footprints_{s}_{e}_z{z}",
            f"Footprints {s} {e} z{z}",
            f"{RESULTS}/footprints/{s}/{e}/z{z}/footprints.parquet",
            webmap.FOOTPRINT_POPUP,
            webmap.FOOTPRINT_STYLE,
            group="Footprints",
            visible=False,
            simplify_m=webmap.FOOTPRINT_SIMPLIFY_PIXELS * _pixel_m(s, z),
        )
        for s in CELLSETS
        for e in EPOCHS
        for z in sorted({*ZOOMS, *PYRAMID_ZOOMS})
    ],
    *[
        layer(
            f"growth_z{z}",
            f"Growth per cell z{z}",
            f"{RESULTS}/growth/z{z}/cells.parquet",
            webmap.GROWTH_POPUP,
            webmap.GROWTH_STYLE,
            group="Growth",
            visible=False,
        )
        for z in ([int(GROWTH["zoom"])] if GROWTH["enabled"] else [])
    ],
]
# The places the map jumps between, the first view first: the pyramid's scan region (the main
# results), the training polygons with their cells, detections and footprints, and the growth
# region. A place without any layer drawn is left out; "All results" follows.
_GROWTH_NAME = str(GROWTH.get("region_name") or "region")
MAP_REGIONS = [
    *(
        [
            {
                "name": "Scan region",
                "layers": [
                    "region",
                    "pyramid_*",
                    "footprints_region_*",
                    "footprints_pyramid_*",
                ],
            }
        ]
        if PYRAMID["enabled"]
        else []
    ),
    {
        "name": "Training polygons",
        "layers": [
            "polygons",
            "grid_z*",
            "detections_*",
            "footprints_training_*",
            "footprints_validation_*",
        ],
    },
    *(
        [
            {
                "name": (
                    "Growth region"
                    if _GROWTH_NAME == "region"
                    else f"Growth: {_GROWTH_NAME}"
                ),
                "layers": ["growth_z*", "footprints_growth_*"],
            }
        ]
        if GROWTH["enabled"]
        else []
    ),
]
# The training tiles' previews as image overlays, one switchable group per zoom level.
MAP_PREVIEW_GROUPS = [
    {
        "key": f"previews_z{z}",
        "title": f"Tile previews z{z}",
        "zoom": z,
        "cells": f"{RESULTS}/grid/z{z}/cells.parquet",
        "visible": z == ZOOMS[0],
    }
    for z in ZOOMS
]


def get_map_layers():
    """The layer lines whose file is a target of some stage: a stage that is disabled, or
    not part of this workflow yet, draws nothing."""
    made = {MAP_POLYGONS, *get_stage_outputs()}
    return [spec for spec in MAP_LAYERS if spec["path"] in made]


def get_map_inputs(wildcards):
    """Every file the map reads: its layers, their joined tables and the cells' shapes, and
    the preview folders of every shard (known once the grid's checkpoint has run)."""
    layers = get_map_layers()
    files = {spec["path"] for spec in layers}
    files |= {path for spec in layers for path in spec.get("joins", [])}
    files |= {spec["cells"] for spec in layers if spec.get("cells")}
    inputs = {"layers": sorted(files)}
    for group in MAP_PREVIEW_GROUPS:
        inputs[group["key"]] = [
            f"{RESULTS}/previews/training/{TRAINING_EPOCH}/z{group['zoom']}/{shard}"
            for shard in cellset_shards("training", group["zoom"])
        ]
        inputs[f"{group['key']}_cells"] = group["cells"]
    return inputs


def get_map_outputs():
    return [
        f"{MAP_DIR}/index.html",
        f"{REPORT_DIR}/map.png",
        f"{REPORT_DIR}/summary.rst",
    ]


def get_report_inputs():
    """The stages' tables the report's first page reads its headline figures from; a stage
    that does not run this time has no entry (the page says it was skipped)."""
    made = set(get_stage_outputs())
    inputs = {
        "polygons": f"{RESULTS}/polygons/polygons.parquet",
        "grid": expand(f"{RESULTS}/grid/z{{zoom}}/cells.parquet", zoom=ZOOMS),
        "tiles": expand(
            f"{RESULTS}/tiles/training/{TRAINING_EPOCH}/z{{zoom}}/status.csv",
            zoom=ZOOMS,
        ),
        "comparison": f"{RESULTS}/models/z{MODELS_ZOOM}/comparison.csv",
        "map": f"{MAP_DIR}/layers",
    }
    if PROBABILITY["enabled"]:
        inputs["probability"] = [
            _PROBABILITY_SCORES,
            f"{RESULTS}/grid/z{MODELS_ZOOM}/cells.parquet",
        ]
    if f"{CHIPS_DIR}/metrics.csv" in made:
        inputs["chips"] = f"{CHIPS_DIR}/metrics.csv"
    if DETECTION_DATASETS:
        inputs["detection"] = [
            f"{RESULTS}/detection/{d}/evaluation/metrics.json"
            for d in DETECTION_DATASETS
        ]
    if PYRAMID["enabled"]:
        inputs["pyramid"] = f"{PYRAMID_DIR}/summary.csv"
    return inputs


def get_report_facts():
    """What the first page says about the run, from the config."""
    inputs = get_report_inputs()
    stages = {
        "grid": "grid",
        "tiles": "imagery",
        "comparison": "pixel models",
        "probability": "probability",
        "chips": "real chips",
        "detection": "detection",
        "pyramid": "pyramid",
        "map": "map",
    }
    window = ", ".join(str(d) for d in EPOCHS[TRAINING_EPOCH])
    return {
        "backend": IMAGERY["backend"],
        "polygons": str(config["polygons"]["path"]),
        "epoch": f"{TRAINING_EPOCH} ({window})",
        "zooms": ZOOMS,
        "stages": [label for key, label in stages.items() if key in inputs],
        "skipped": [label for key, label in stages.items() if key not in inputs],
    }
