# Pyramid: the coarse-to-fine scan of a region. Level z{zoom} scores its cells
# (cell set "pyramid") with its screen (pyramid.screen: pixel, chip_cnn or detector); one
# checkpoint per level keeps the cells above the level's threshold and makes their children the
# next level's cells; the detector runs on the cells the finest level reaches. Thresholds come
# from the grid's cells imaged at the level's pixel size (cell set "validation"); the
# exhaustive scan of the region (cell set "region") is the comparison. Tiles come from the
# imagery stage's rule `tiles`, so a changed threshold or a new level fetches only cells not
# fetched before (the tile store).


checkpoint pyramid_cells:
    input:
        unpack(get_pyramid_parent),
    output:
        cells=f"{PYRAMID_DIR}/z{{zoom}}/cells.parquet",
        shards=f"{PYRAMID_DIR}/z{{zoom}}/shards.csv",
    log:
        f"{LOGS}/pyramid_cells/z{{zoom}}.log",
    # the pyramid's levels run one after another: keep the chain moving, after the models
    # and the detection chain
    priority: 4
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        level=get_level,
        region=canonical(PYRAMID["region"]),
        min_land_fraction=float(PYRAMID["min_land_fraction"]),
    script:
        "../scripts/pyramid_cells.py"


# The level's screen (pyramid.screen): the pixel model's probability COGs, or the chip CNN's
# window probabilities, summarised in the same score columns.
rule pyramid_screen:
    input:
        tiles=f"{PYRAMID_TILES}/{{shard}}",
        status=f"{PYRAMID_TILES}/{{shard}}.status.csv",
        model=get_screen_model,
    output:
        probabilities=directory(f"{PYRAMID_SCREEN}/{{shard}}"),
        scores=f"{PYRAMID_SCREEN}/{{shard}}.parquet",
    log:
        f"{LOGS}/pyramid_screen/{{cellset}}/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pyramid_screen/{{cellset}}/z{{zoom}}/{{shard}}.tsv"
    wildcard_constraints:
        cellset="validation|pyramid",
        zoom=PYRAMID_OTHER_ZOOMS,
    # the pyramid's levels run one after another: keep the chain moving, after the models
    # and the detection chain
    priority: 4
    conda:
        PYRAMID_SCREEN_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        screen=get_screen_name,
        block_pixels=int(PROBABILITY["block_pixels"]),
    script:
        "../scripts/pyramid_screen.py"


# A detector level's screen: the detection model's boxes as a box-score raster per tile (best
# box score per pixel), summarised in the same score columns; max_probability is the best box.
rule pyramid_screen_detector:
    input:
        unpack(get_screen_detector),
        tiles=f"{PYRAMID_TILES}/{{shard}}",
        status=f"{PYRAMID_TILES}/{{shard}}.status.csv",
    output:
        probabilities=directory(f"{PYRAMID_SCREEN}/{{shard}}"),
        scores=f"{PYRAMID_SCREEN}/{{shard}}.parquet",
    log:
        f"{LOGS}/pyramid_screen/{{cellset}}/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pyramid_screen/{{cellset}}/z{{zoom}}/{{shard}}.tsv"
    wildcard_constraints:
        cellset="validation|pyramid",
        zoom=PYRAMID_DETECTOR_ZOOMS,
    # the pyramid's levels run one after another: keep the chain moving, after the models
    # and the detection chain
    priority: 4
    conda:
        "../../envs/detection.yaml"
    threads: DETECTION["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=DETECTION["cpus_per_gpu"],
        mem_mb=DETECTION["mem_mb"],
        runtime=DETECTION["predict_runtime_min"],
    params:
        settings_dir=DETECTION_SETTINGS,
        confidence=DETECTION_PREDICT_OPTIONS["confidence"],
        iou=DETECTION_PREDICT_OPTIONS["iou"],
        overlap=DETECTION_PREDICT_OPTIONS["overlap"],
    script:
        "../scripts/pyramid_screen_detector.py"


# A shard named "scores" would otherwise make a level's scores ambiguous.
ruleorder: pyramid_scores > pyramid_screen
ruleorder: pyramid_scores > pyramid_screen_detector
ruleorder: pyramid_scores > pyramid_exhaustive


rule pyramid_scores:
    input:
        scores=per_shard(f"{PYRAMID_SCREEN}/{{shard}}.parquet"),
    output:
        scores=f"{PYRAMID_SCREEN}/scores.parquet",
    log:
        f"{LOGS}/pyramid_scores/{{cellset}}/z{{zoom}}.log",
    # the pyramid's levels run one after another: keep the chain moving, after the models
    # and the detection chain
    priority: 4
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/pyramid_scores.py"


rule pyramid_threshold:
    input:
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        scores=f"{PYRAMID_DIR}/screen/validation/z{{zoom}}/scores.parquet",
    output:
        threshold=f"{PYRAMID_DIR}/thresholds/z{{zoom}}.json",
        evidence=report(
            f"{PYRAMID_DIR}/thresholds/z{{zoom}}.png",
            caption="../report/pyramid_threshold.rst",
            category="Pyramid",
            subcategory="thresholds",
            labels={"level": "z{zoom}"},
        ),
    log:
        f"{LOGS}/pyramid_threshold/z{{zoom}}.log",
    # the pyramid's levels run one after another: keep the chain moving, after the models
    # and the detection chain
    priority: 4
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # the best box at a detector level, pyramid.statistic at the others
        statistic=get_level_statistic,
        target_recall=float(PYRAMID["target_recall"]),
        curve_targets=[float(t) for t in PYRAMID["curve_targets"]],
    script:
        "../scripts/pyramid_threshold.py"


use rule detection_predict as pyramid_detect with:
    input:
        tiles=f"{RESULTS}/tiles/pyramid/{TRAINING_EPOCH}/z{{zoom}}/{{shard}}",
        status=f"{RESULTS}/tiles/pyramid/{TRAINING_EPOCH}/z{{zoom}}/{{shard}}.status.csv",
        weights=f"{RESULTS}/detection/z{{zoom}}/train/final/weights.pt",
        scaling=f"{RESULTS}/detection/z{{zoom}}/scaling.json",
    output:
        detections=f"{PYRAMID_DIR}/detections/z{{zoom}}/{{shard}}.parquet",
    log:
        f"{LOGS}/pyramid_detect/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pyramid_detect/z{{zoom}}/{{shard}}.tsv"


rule pyramid_merge:
    input:
        cells=pyramid_level_files("pyramid", "cells"),
        scores=pyramid_level_files("pyramid", "scores"),
        thresholds=expand(
            f"{PYRAMID_DIR}/thresholds/z{{zoom}}.json", zoom=PYRAMID_ZOOMS
        ),
        detections=get_pyramid_detections,
    output:
        gpkg=f"{PYRAMID_DIR}/scan.gpkg",
        parquet=f"{PYRAMID_DIR}/detections.parquet",
    log:
        f"{LOGS}/pyramid_merge.log",
    conda:
        "../../envs/detection.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        zooms=PYRAMID_ZOOMS,
        spatial_prior=config["pyramid"].get("spatial_prior"),
    script:
        "../scripts/pyramid_merge.py"


rule pyramid_report:
    input:
        pyramid_cells=pyramid_level_files("pyramid", "cells"),
        pyramid_scores=pyramid_level_files("pyramid", "scores"),
        thresholds=expand(
            f"{PYRAMID_DIR}/thresholds/z{{zoom}}.json", zoom=PYRAMID_ZOOMS
        ),
        region_cells=(
            pyramid_level_files("region", "cells") if PYRAMID["exhaustive"] else []
        ),
        region_scores=(
            pyramid_level_files("region", "scores") if PYRAMID["exhaustive"] else []
        ),
        polygons=rules.clean_polygons.output.polygons,
    output:
        summary=report(
            f"{PYRAMID_DIR}/summary.csv",
            caption="../report/pyramid_summary.rst",
            category="Pyramid",
            subcategory="cost and recall",
        ),
        curve=f"{PYRAMID_DIR}/curve.csv",
        curve_png=report(
            f"{PYRAMID_DIR}/curve.png",
            caption="../report/pyramid_curve.rst",
            category="Pyramid",
            subcategory="cost and recall",
        ),
        map_png=report(
            f"{PYRAMID_DIR}/levels.png",
            caption="../report/pyramid_levels.rst",
            category="Pyramid",
            subcategory="levels",
        ),
    log:
        f"{LOGS}/pyramid_report.log",
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        levels=[
            {"zoom": lv.zoom, "pixel_size_m": lv.pixel_size_m, "side_px": lv.side_px}
            for lv in PYRAMID_LEVELS
        ],
        region=canonical(PYRAMID["region"]),
        bands=len(IMAGERY["bands"]),
        simulated=IMAGERY["backend"] == "synthetic",
    script:
        "../scripts/pyramid_report.py"


# The exhaustive comparison: every land cell of the region at a level, fetched with the same
# request as the tiles, screened, and not kept (see minescan/pyramid/stream.py).
rule pyramid_exhaustive:
    input:
        cells=f"{RESULTS}/grid/region/z{{zoom}}/cells.parquet",
        polygons=rules.clean_polygons.output.polygons,
        model=DEPLOYED_MODEL,
    output:
        scores=f"{PYRAMID_DIR}/screen/region/z{{zoom}}/{{shard}}.parquet",
    log:
        f"{LOGS}/pyramid_exhaustive/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pyramid_exhaustive/z{{zoom}}/{{shard}}.tsv"
    # the pyramid's levels run one after another: keep the chain moving, after the models
    # and the detection chain
    priority: 4
    conda:
        "../../envs/imagery.yaml"
    threads: IMAGERY["threads"]
    resources:
        mem_mb=get_tile_mem_mb,
        runtime=IMAGERY["runtime_min"],
        earthengine_requests=ee_requests_per_job(IMAGERY),
    params:
        request=lambda wc: tile_request(IMAGERY, EPOCHS[TRAINING_EPOCH]),
        pixel_size=lambda wc: LEVEL_PIXEL[int(wc.zoom)],
        fetch=fetch_settings(IMAGERY),
    script:
        "../scripts/pyramid_exhaustive.py"


# The planner's figures for the configured region and levels, at the configured recall target
# and the planned false positive rate, next to the scan's own (python -m
# minescan.pyramid.plan_cli plans any region, the world included, from the command line).
rule pyramid_plan:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        plan=report(
            f"{PYRAMID_DIR}/plan.csv",
            caption="../report/pyramid_plan.rst",
            category="Pyramid",
            subcategory="plan",
        ),
        summary=f"{PYRAMID_DIR}/plan.json",
    log:
        f"{LOGS}/pyramid_plan.log",
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        region=canonical(PYRAMID["region"]),
        zooms=PYRAMID_ZOOMS,
        cell_sizes={level.zoom: level.cell_size_m for level in PYRAMID_LEVELS},
        pixel_sizes=LEVEL_PIXEL,
        bands=len(IMAGERY["bands"]),
        max_cells_per_shard=int(GRID["max_cells_per_shard"]),
        shard_block_m=int(GRID["shard_block_m"]),
        recall=float(PYRAMID["target_recall"]),
        false_positive_rate=float(PYRAMID["planned_false_positive_rate"]),
        min_land_fraction=float(PYRAMID["min_land_fraction"]),
    script:
        "../scripts/pyramid_plan.py"
