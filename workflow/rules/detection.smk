# Detection: YOLO datasets from the tiles' mine band (per zoom
# level) or from a labelled folder, spatially grouped splits and k folds, training per fold
# and on all folds (GPU when there is one), a zero-shot round from local weights, detections
# over whole tiles (GeoParquet + GeoPackage) and their evaluation on held-out tiles and on real
# mine-free imagery. results/detection/{dataset}/ with {dataset} = z<zoom> or the folder's name.


rule detection_dataset:
    input:
        unpack(get_detection_zoom_inputs),
    output:
        dataset=directory(f"{RESULTS}/detection/z{{zoom}}/dataset"),
        table=f"{RESULTS}/detection/z{{zoom}}/tiles.csv",
        scaling=f"{RESULTS}/detection/z{{zoom}}/scaling.json",
        summary=f"{RESULTS}/detection/z{{zoom}}/dataset.json",
    log:
        f"{LOGS}/detection_dataset/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_dataset/z{{zoom}}.tsv"
    # on the run's longest chain (training, then predictions over every shard): first
    priority: 5
    conda:
        "../../envs/detection.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        channels=DETECTION["channels"],
        options=DETECTION_DATASET_OPTIONS,
        chip_px=DETECTION_WINDOW_PX,
    script:
        "../scripts/detection_dataset.py"


use rule detection_dataset as detection_dataset_folder with:
    input:
        unpack(get_detection_folder_inputs),
    output:
        dataset=directory(f"{RESULTS}/detection/{{labelled}}/dataset"),
        table=f"{RESULTS}/detection/{{labelled}}/tiles.csv",
        scaling=f"{RESULTS}/detection/{{labelled}}/scaling.json",
        summary=f"{RESULTS}/detection/{{labelled}}/dataset.json",
    log:
        f"{LOGS}/detection_dataset/{{labelled}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_dataset/{{labelled}}.tsv"


rule detection_train:
    input:
        dataset=f"{DETECTION_DIR}/dataset",
        scaling=f"{DETECTION_DIR}/scaling.json",
        weights=get_detection_start_weights,
    output:
        run=directory(f"{DETECTION_DIR}/train/{{run}}/run"),
        weights=f"{DETECTION_DIR}/train/{{run}}/weights.pt",
        # channels, scaling, image size and window beside the weights (the scoring command)
        detector=f"{DETECTION_DIR}/train/{{run}}/detector.json",
        summary=f"{DETECTION_DIR}/train/{{run}}/summary.json",
        curves=report(
            f"{DETECTION_DIR}/train/{{run}}/curves.png",
            caption="../report/detection_curves.rst",
            category="Detection",
            subcategory="{dataset} training",
            labels={"dataset": "{dataset}", "run": "{run}"},
        ),
    log:
        f"{LOGS}/detection_train/{{dataset}}_{{run}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_train/{{dataset}}_{{run}}.tsv"
    # on the run's longest chain (training, then predictions over every shard): first
    priority: 5
    conda:
        "../../envs/detection.yaml"
    threads: DETECTION["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=DETECTION["cpus_per_gpu"],
        mem_mb=DETECTION["mem_mb"],
        runtime=DETECTION["train_runtime_min"],
    params:
        start=DETECTION_START,
        options=DETECTION_TRAIN_OPTIONS,
        window_px=DETECTION_WINDOW_PX,
        settings_dir=DETECTION_SETTINGS,
    script:
        "../scripts/detection_train.py"


rule detection_cv:
    input:
        summaries=expand(
            f"{DETECTION_DIR}/train/{{run}}/summary.json",
            run=DETECTION_FOLDS,
            allow_missing=True,
        ),
    output:
        table=report(
            f"{DETECTION_DIR}/cv.csv",
            caption="../report/detection_cv.rst",
            category="Detection",
            subcategory="{dataset}",
        ),
    log:
        f"{LOGS}/detection_cv/{{dataset}}.log",
    conda:
        "../../envs/detection.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        names=DETECTION_FOLDS,
    script:
        "../scripts/detection_cv.py"


rule detection_zero_shot:
    input:
        weights=get_detection_start_weights,
        table=f"{DETECTION_DIR}/tiles.csv",
        scaling=f"{DETECTION_DIR}/scaling.json",
    output:
        detections=f"{DETECTION_DIR}/zero_shot/detections.parquet",
        metrics=f"{DETECTION_DIR}/zero_shot/metrics.json",
    log:
        f"{LOGS}/detection_zero_shot/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_zero_shot/{{dataset}}.tsv"
    conda:
        "../../envs/detection.yaml"
    threads: DETECTION["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=DETECTION["cpus_per_gpu"],
        mem_mb=DETECTION["mem_mb"],
        runtime=DETECTION["predict_runtime_min"],
    params:
        options=DETECTION_PREDICT_OPTIONS,
        min_object_pixels=int(DETECTION["min_object_pixels"]),
        confidence=float(DETECTION["confidence"]),
        settings_dir=DETECTION_SETTINGS,
    script:
        "../scripts/detection_zero_shot.py"


rule detection_predict:
    input:
        tiles=f"{TRAINING_TILES}/{{shard}}",
        status=f"{TRAINING_TILES}/{{shard}}.status.csv",
        weights=f"{RESULTS}/detection/z{{zoom}}/train/final/weights.pt",
        scaling=f"{RESULTS}/detection/z{{zoom}}/scaling.json",
    output:
        detections=f"{RESULTS}/detection/z{{zoom}}/detections/{{shard}}.parquet",
    log:
        f"{LOGS}/detection_predict/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_predict/z{{zoom}}/{{shard}}.tsv"
    # on the run's longest chain (training, then predictions over every shard): first
    priority: 5
    conda:
        "../../envs/detection.yaml"
    threads: DETECTION["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=DETECTION["cpus_per_gpu"],
        mem_mb=DETECTION["mem_mb"],
        runtime=DETECTION["predict_runtime_min"],
    params:
        options=DETECTION_PREDICT_OPTIONS,
        settings_dir=DETECTION_SETTINGS,
    script:
        "../scripts/detection_predict.py"


use rule detection_predict as detection_predict_folder with:
    input:
        folder=get_detection_folder,
        weights=f"{RESULTS}/detection/{{labelled}}/train/final/weights.pt",
        scaling=f"{RESULTS}/detection/{{labelled}}/scaling.json",
    output:
        detections=f"{RESULTS}/detection/{{labelled}}/detections/all.parquet",
    log:
        f"{LOGS}/detection_predict/{{labelled}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_predict/{{labelled}}.tsv"


rule detection_predict_background:
    input:
        weights=f"{DETECTION_DIR}/train/final/weights.pt",
        scaling=f"{DETECTION_DIR}/scaling.json",
    output:
        detections=f"{DETECTION_DIR}/background/detections.parquet",
        summary=f"{DETECTION_DIR}/background/summary.json",
    log:
        f"{LOGS}/detection_predict_background/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_predict_background/{{dataset}}.tsv"
    conda:
        "../../envs/detection.yaml"
    threads: DETECTION["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=DETECTION["cpus_per_gpu"],
        mem_mb=DETECTION["mem_mb"],
        runtime=DETECTION["predict_runtime_min"],
    params:
        folder=DETECTION_BACKGROUND,
        options=DETECTION_PREDICT_OPTIONS,
        settings_dir=DETECTION_SETTINGS,
    script:
        "../scripts/detection_background.py"


# A shard named "all" would otherwise make a folder's detections ambiguous.
ruleorder: detection_predict_folder > detection_predict


rule detection_merge:
    input:
        parts=get_detection_parts,
    output:
        parquet=f"{DETECTION_DIR}/detections.parquet",
        gpkg=f"{DETECTION_DIR}/detections.gpkg",
    log:
        f"{LOGS}/detection_merge/{{dataset}}.log",
    # on the run's longest chain (training, then predictions over every shard): first
    priority: 5
    conda:
        "../../envs/detection.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/detection_merge.py"


rule detection_evaluate:
    input:
        unpack(get_detection_background),
        table=f"{DETECTION_DIR}/tiles.csv",
        scaling=f"{DETECTION_DIR}/scaling.json",
        detections=f"{DETECTION_DIR}/detections.parquet",
    output:
        metrics=f"{DETECTION_DIR}/evaluation/metrics.json",
        objects=f"{DETECTION_DIR}/evaluation/objects.csv",
        breakdown=report(
            f"{DETECTION_DIR}/evaluation/breakdown.csv",
            caption="../report/detection_breakdown.rst",
            category="Detection",
            subcategory="{dataset}",
        ),
        gallery=report(
            f"{DETECTION_DIR}/evaluation/gallery.png",
            caption="../report/detection_gallery.rst",
            category="Detection",
            subcategory="{dataset}",
        ),
    log:
        f"{LOGS}/detection_evaluate/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_evaluate/{{dataset}}.tsv"
    # on the run's longest chain (training, then predictions over every shard): first
    priority: 5
    conda:
        "../../envs/detection.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        min_object_pixels=int(DETECTION["min_object_pixels"]),
        confidence=float(DETECTION["confidence"]),
        simulated=get_detection_simulated,
    script:
        "../scripts/detection_evaluate.py"


# Region-out (detection.region_out): each latitude band of a labelled folder held out in turn,
# the detector trained on the other bands (the stage's recipe), scored on the held-out band and
# on the mine-free scenes; results/detection/{labelled}/region_out/.
rule detection_region_out:
    input:
        folder=get_detection_folder,
    output:
        work=directory(f"{RESULTS}/detection/{{labelled}}/region_out/band{{band}}/work"),
        metrics=f"{RESULTS}/detection/{{labelled}}/region_out/band{{band}}/metrics.json",
        objects=f"{RESULTS}/detection/{{labelled}}/region_out/band{{band}}/objects.csv",
    log:
        f"{LOGS}/detection_region_out/{{labelled}}_band{{band}}.log",
    benchmark:
        f"{BENCHMARKS}/detection_region_out/{{labelled}}_band{{band}}.tsv"
    wildcard_constraints:
        band=r"\d+",
    conda:
        "../../envs/detection.yaml"
    threads: DETECTION["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=DETECTION["cpus_per_gpu"],
        mem_mb=DETECTION["mem_mb"],
        runtime=DETECTION["train_runtime_min"],
    params:
        bands=DETECTION_REGION_BANDS,
        gap_deg=float(DETECTION_REGION_OUT["gap_deg"]),
        channels=DETECTION["channels"],
        dataset_options={**DETECTION_DATASET_OPTIONS, "chip_px": DETECTION_WINDOW_PX},
        train_options=DETECTION_TRAIN_OPTIONS,
        predict_options=DETECTION_PREDICT_OPTIONS,
        start=DETECTION_START,
        confidence=float(DETECTION["confidence"]),
        background=DETECTION_BACKGROUND,
        settings_dir=DETECTION_SETTINGS,
        tta=bool(DETECTION["tta"]),
        ensemble=bool(DETECTION["ensemble"]),
    script:
        "../scripts/detection_region_out.py"


rule detection_region_out_summary:
    input:
        unpack(get_detection_region_out_parts),
    output:
        table=f"{RESULTS}/detection/{{labelled}}/region_out.csv",
        summary=f"{RESULTS}/detection/{{labelled}}/region_out.json",
    log:
        f"{LOGS}/detection_region_out_summary/{{labelled}}.log",
    conda:
        "../../envs/detection.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/detection_region_out_summary.py"
