# Footprints: a U-Net or FPN segmenter per {source} (z<zoom>: the training
# tiles' mine band; or a labelled folder) and architecture, trained with the detection stage's
# split (GPU when there is one); probability and mask COGs per cell and footprint polygons with
# areas in m² per shard of any cell set and epoch, merged per zoom level; evaluation on the
# held-out tiles (next to the detector's boxes) and, for labelled folders, by held-out latitude
# band.
#   results/footprints/model/{source}/{arch}/            model.pt, tiles.csv, curves, evaluation/
#   results/footprints/{cellset}/{epoch}/z{zoom}/{shard}/ <cell>_probability.tif, <cell>_mask.tif
#   results/footprints/{cellset}/{epoch}/z{zoom}/footprints.{parquet,gpkg}


rule footprints_train:
    input:
        unpack(get_footprints_train_inputs),
    output:
        model=f"{FOOTPRINTS_MODEL}/model.pt",
        table=f"{FOOTPRINTS_MODEL}/tiles.csv",
        summary=f"{FOOTPRINTS_MODEL}/summary.json",
        history=f"{FOOTPRINTS_MODEL}/history.csv",
        curves=report(
            f"{FOOTPRINTS_MODEL}/curves.png",
            caption="../report/footprints_curves.rst",
            category="Footprints",
            subcategory="{source} training",
            labels={"source": "{source}", "architecture": "{arch}"},
        ),
    log:
        f"{LOGS}/footprints_train/{{source}}_{{arch}}.log",
    benchmark:
        f"{BENCHMARKS}/footprints_train/{{source}}_{{arch}}.tsv"
    # on the run's longest chain (training, then predictions over every shard): first
    priority: 5
    conda:
        "../../envs/footprints.yaml"
    threads: FOOTPRINTS["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=FOOTPRINTS["cpus_per_gpu"],
        mem_mb=FOOTPRINTS["mem_mb"],
        runtime=FOOTPRINTS["train_runtime_min"],
    params:
        channels=FOOTPRINTS_CHANNELS,
        split=FOOTPRINTS_SPLIT,
        val_folds=int(FOOTPRINTS["val_folds"]),
        percentiles=[float(p) for p in DETECTION["scaling_percentiles"]],
        min_object_pixels=FOOTPRINTS_MIN_OBJECT_PIXELS,
        options=get_footprints_train_options,
    script:
        "../scripts/footprints_train.py"


rule footprints_predict:
    input:
        tiles=f"{TILES}/{{shard}}",
        status=f"{TILES}/{{shard}}.status.csv",
        model=get_footprints_predict_model,
    output:
        rasters=directory(f"{FOOTPRINTS_SHARDS}/{{shard}}"),
        footprints=f"{FOOTPRINTS_SHARDS}/{{shard}}.parquet",
    log:
        f"{LOGS}/footprints_predict/{{cellset}}/{{epoch}}/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/footprints_predict/{{cellset}}/{{epoch}}/z{{zoom}}/{{shard}}.tsv"
    conda:
        "../../envs/footprints.yaml"
    threads: FOOTPRINTS["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=FOOTPRINTS["cpus_per_gpu"],
        mem_mb=FOOTPRINTS["mem_mb"],
        runtime=FOOTPRINTS["predict_runtime_min"],
    params:
        channels=FOOTPRINTS_CHANNELS,
        window_px=FOOTPRINTS_ASSESS_OPTIONS["window_px"],
        overlap_px=FOOTPRINTS_ASSESS_OPTIONS["overlap_px"],
        min_area_m2=FOOTPRINTS_ASSESS_OPTIONS["min_area_m2"],
    script:
        "../scripts/footprints_predict.py"


rule footprints_merge:
    input:
        parts=per_shard(f"{FOOTPRINTS_SHARDS}/{{shard}}.parquet"),
    output:
        parquet=f"{FOOTPRINTS_SHARDS}/footprints.parquet",
        gpkg=f"{FOOTPRINTS_SHARDS}/footprints.gpkg",
    log:
        f"{LOGS}/footprints_merge/{{cellset}}/{{epoch}}/z{{zoom}}.log",
    conda:
        "../../envs/footprints.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/footprints_merge.py"


# A shard named "footprints" would otherwise make the merged file ambiguous.
ruleorder: footprints_merge > footprints_predict


rule footprints_evaluate:
    input:
        unpack(get_footprints_evaluate_inputs),
    output:
        metrics=f"{FOOTPRINTS_MODEL}/evaluation/metrics.json",
        objects=f"{FOOTPRINTS_MODEL}/evaluation/objects.csv",
        tiles=f"{FOOTPRINTS_MODEL}/evaluation/tiles.csv",
        breakdown=report(
            f"{FOOTPRINTS_MODEL}/evaluation/breakdown.csv",
            caption="../report/footprints_breakdown.rst",
            category="Footprints",
            subcategory="{source}",
        ),
        comparison=report(
            f"{FOOTPRINTS_MODEL}/evaluation/boxes.csv",
            caption="../report/footprints_boxes.rst",
            category="Footprints",
            subcategory="{source}",
        ),
        gallery=report(
            f"{FOOTPRINTS_MODEL}/evaluation/gallery.png",
            caption="../report/footprints_gallery.rst",
            category="Footprints",
            subcategory="{source}",
        ),
    log:
        f"{LOGS}/footprints_evaluate/{{source}}_{{arch}}.log",
    benchmark:
        f"{BENCHMARKS}/footprints_evaluate/{{source}}_{{arch}}.tsv"
    conda:
        "../../envs/footprints.yaml"
    threads: FOOTPRINTS["cpus_per_gpu"]
    resources:
        mem_mb=FOOTPRINTS["mem_mb"],
        runtime=FOOTPRINTS["predict_runtime_min"],
    params:
        channels=FOOTPRINTS_CHANNELS,
        assess_options=FOOTPRINTS_ASSESS_OPTIONS,
        detection_confidence=float(DETECTION["confidence"]),
        simulated=get_footprints_simulated,
    script:
        "../scripts/footprints_evaluate.py"


rule footprints_region_out:
    input:
        folder=get_footprints_region_out_folder,
    output:
        metrics=f"{FOOTPRINTS_MODEL}/region_out/band{{band}}.json",
        objects=f"{FOOTPRINTS_MODEL}/region_out/band{{band}}_objects.csv",
    log:
        f"{LOGS}/footprints_region_out/{{source}}_{{arch}}_band{{band}}.log",
    benchmark:
        f"{BENCHMARKS}/footprints_region_out/{{source}}_{{arch}}_band{{band}}.tsv"
    conda:
        "../../envs/footprints.yaml"
    threads: FOOTPRINTS["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=FOOTPRINTS["cpus_per_gpu"],
        mem_mb=FOOTPRINTS["mem_mb"],
        runtime=FOOTPRINTS["train_runtime_min"],
    params:
        channels=FOOTPRINTS_CHANNELS,
        bands=int(FOOTPRINTS_REGION_OUT["bands"]),
        gap_deg=float(FOOTPRINTS_REGION_OUT["gap_deg"]),
        split=FOOTPRINTS_SPLIT,
        val_folds=int(FOOTPRINTS["val_folds"]),
        percentiles=[float(p) for p in DETECTION["scaling_percentiles"]],
        min_object_pixels=FOOTPRINTS_MIN_OBJECT_PIXELS,
        options=get_footprints_train_options,
        assess_options=FOOTPRINTS_ASSESS_OPTIONS,
    script:
        "../scripts/footprints_region_out.py"


rule footprints_region_out_summary:
    input:
        unpack(get_footprints_region_out_parts),
    output:
        table=report(
            f"{FOOTPRINTS_MODEL}/region_out.csv",
            caption="../report/footprints_region_out.rst",
            category="Footprints",
            subcategory="{source}",
        ),
        summary=f"{FOOTPRINTS_MODEL}/region_out.json",
    log:
        f"{LOGS}/footprints_region_out_summary/{{source}}_{{arch}}.log",
    conda:
        "../../envs/footprints.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/footprints_region_out_summary.py"


# The segmenter retrained on shares of its training regions (footprints.learning_curve), scored
# on the same test tiles and on its own training tiles: data or model as the lever.
rule footprints_learning_curve:
    input:
        model=f"{FOOTPRINTS_MODEL}/model.pt",
        table=f"{FOOTPRINTS_MODEL}/tiles.csv",
    output:
        table=f"{FOOTPRINTS_MODEL}/learning_curve.csv",
        summary=f"{FOOTPRINTS_MODEL}/learning_curve.json",
        plot=report(
            f"{FOOTPRINTS_MODEL}/learning_curve.png",
            caption="../report/footprints_learning_curve.rst",
            category="Footprints",
            subcategory="{source}",
        ),
    log:
        f"{LOGS}/footprints_learning_curve/{{source}}_{{arch}}.log",
    benchmark:
        f"{BENCHMARKS}/footprints_learning_curve/{{source}}_{{arch}}.tsv"
    conda:
        "../../envs/footprints.yaml"
    threads: FOOTPRINTS["cpus_per_gpu"]
    resources:
        gpu=1,
        cpus_per_gpu=FOOTPRINTS["cpus_per_gpu"],
        mem_mb=FOOTPRINTS["mem_mb"],
        runtime=FOOTPRINTS["train_runtime_min"],
    params:
        shares=[float(s) for s in FOOTPRINTS["learning_curve"] or []],
        channels=FOOTPRINTS_CHANNELS,
        percentiles=[float(p) for p in DETECTION["scaling_percentiles"]],
        options=get_footprints_train_options,
        # no mine-free scenes: the curve scores labelled tiles only, so a changed
        # footprints.background does not rerun it
        assess_options={
            k: v for k, v in FOOTPRINTS_ASSESS_OPTIONS.items() if k != "background"
        },
        seed=int(DETECTION["seed"]),
    script:
        "../scripts/footprints_learning_curve.py"
