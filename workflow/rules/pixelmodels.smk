# Pixel models: training tables with grouped splits, LASSO and
# L1-logistic paths, other model families, the comparison on held-out cells and the channel
# ranking that the detection stage takes its channels from.


rule models_dataset:
    input:
        tables=per_shard(f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.parquet"),
    output:
        pixels=f"{MODELS_DIR}/pixel/dataset.parquet",
        patches=f"{MODELS_DIR}/patch/dataset.parquet",
    log:
        f"{LOGS}/models_dataset/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/models_dataset/z{{zoom}}.tsv"
    # detection and the footprints take their channels from the models: first of all
    priority: 6
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(2000, 12 * input.size_mb),
        runtime=30,
    params:
        bands=MODELS_BANDS,
        max_rows=MODELS["max_rows"],
        seed=MODELS["seed"],
        split_by=MODELS["split"]["by"],
        fractions=MODELS["split"]["fractions"],
        edge_buffer_m=MODELS["edge_buffer_m"],
        patch_size=MODELS["patch_size"],
    script:
        "../scripts/models_dataset.py"


rule models_linear_path:
    input:
        dataset=f"{MODELS_DIR}/{{unit}}/dataset.parquet",
    output:
        weights=f"{MODELS_DIR}/{{unit}}/{{linear}}/weights.parquet",
        scores=f"{MODELS_DIR}/{{unit}}/{{linear}}/scores.csv",
        zero_order=f"{MODELS_DIR}/{{unit}}/{{linear}}/zero_order.csv",
        model=f"{MODELS_DIR}/{{unit}}/{{linear}}/model.json",
        predictions=f"{MODELS_DIR}/{{unit}}/{{linear}}/predictions.parquet",
        weights_plot=report(
            f"{MODELS_DIR}/{{unit}}/{{linear}}/weights.png",
            caption="../report/models_weights.rst",
            category="Pixel models",
            subcategory="z{zoom} {unit}",
        ),
        scores_plot=report(
            f"{MODELS_DIR}/{{unit}}/{{linear}}/scores.png",
            caption="../report/models_scores.rst",
            category="Pixel models",
            subcategory="z{zoom} {unit}",
        ),
    log:
        f"{LOGS}/models_linear_path/z{{zoom}}_{{unit}}_{{linear}}.log",
    benchmark:
        f"{BENCHMARKS}/models_linear_path/z{{zoom}}_{{unit}}_{{linear}}.tsv"
    # detection and the footprints take their channels from the models: first of all
    priority: 6
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(3000, 40 * input.size_mb),
        runtime=60,
    params:
        bands=MODELS_BANDS,
        feature_flags=MODELS_FEATURE_FLAGS,
        target=MODELS["target"],
        distance_clip_m=MODELS["distance_clip_m"],
        n_lambdas=lambda wc: MODELS[wc.linear]["n_lambdas"],
        lambda_min_ratio=lambda wc: MODELS[wc.linear]["lambda_min_ratio"],
        max_rows=lambda wc: MODELS[wc.linear]["max_rows"],
        tolerance=MODELS["selection_tolerance"],
        seed=MODELS["seed"],
    script:
        "../scripts/models_linear_path.py"


rule models_family:
    input:
        dataset=f"{MODELS_DIR}/{{unit}}/dataset.parquet",
    output:
        predictions=f"{MODELS_DIR}/{{unit}}/{{family}}/predictions.parquet",
    log:
        f"{LOGS}/models_family/z{{zoom}}_{{unit}}_{{family}}.log",
    benchmark:
        f"{BENCHMARKS}/models_family/z{{zoom}}_{{unit}}_{{family}}.tsv"
    # detection and the footprints take their channels from the models: first of all
    priority: 6
    conda:
        "../../envs/models.yaml"
    threads: 1  # more for large tables: --set-threads models_family=8
    resources:
        mem_mb=lambda wc, input: max(3000, 40 * input.size_mb),
        runtime=120,
    params:
        bands=MODELS_BANDS,
        feature_flags=MODELS_FEATURE_FLAGS,
        max_rows=MODELS["family_max_rows"],
        seed=MODELS["seed"],
    script:
        "../scripts/models_family.py"


rule models_compare:
    input:
        predictions=list(MODELS_PREDICTIONS.values()),
    output:
        comparison=report(
            f"{MODELS_DIR}/comparison.csv",
            caption="../report/models_comparison.rst",
            category="Pixel models",
            subcategory="z{zoom} comparison",
        ),
        breakdown=report(
            f"{MODELS_DIR}/breakdown.csv",
            caption="../report/models_breakdown.rst",
            category="Pixel models",
            subcategory="z{zoom} comparison",
        ),
        pr_curves=report(
            f"{MODELS_DIR}/pr_curves.png",
            caption="../report/models_pr_curves.rst",
            category="Pixel models",
            subcategory="z{zoom} comparison",
        ),
    log:
        f"{LOGS}/models_compare/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/models_compare/z{{zoom}}.tsv"
    # detection and the footprints take their channels from the models: first of all
    priority: 6
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        names=list(MODELS_PREDICTIONS),
        breakdown_by=["country", "climate"],
    script:
        "../scripts/models_compare.py"


rule models_channels:
    input:
        dataset=f"{MODELS_DIR}/pixel/dataset.parquet",
        lasso_order=f"{MODELS_DIR}/pixel/lasso/zero_order.csv",
        logistic_order=f"{MODELS_DIR}/pixel/logistic/zero_order.csv",
        model=f"{MODELS_DIR}/pixel/{MODELS['deploy']}/model.json",
    output:
        ranking=report(
            f"{MODELS_DIR}/channels.csv",
            caption="../report/models_channels.rst",
            category="Pixel models",
            subcategory="z{zoom} channels",
        ),
        channels=f"{MODELS_DIR}/channels.json",
    log:
        f"{LOGS}/models_channels/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/models_channels/z{{zoom}}.tsv"
    # detection and the footprints take their channels from the models: first of all
    priority: 6
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(3000, 40 * input.size_mb),
        runtime=30,
    params:
        bands=MODELS_BANDS,
        feature_flags=MODELS_FEATURE_FLAGS,
        top_k=MODELS["top_channels"],
        max_rows=MODELS["family_max_rows"],
        seed=MODELS["seed"],
    script:
        "../scripts/models_channels.py"
