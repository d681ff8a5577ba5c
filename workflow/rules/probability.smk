# Probability: the deployed pixel model applied to every training tile of the
# models' zoom (probability COGs and per-cell scores), and exported for Earth Engine.


rule probability:
    input:
        tiles=f"{TRAINING_TILES}/{{shard}}",
        status=f"{TRAINING_TILES}/{{shard}}.status.csv",
        model=DEPLOYED_MODEL,
    output:
        probabilities=directory(f"{RESULTS}/probability/z{{zoom}}/{{shard}}"),
        scores=f"{RESULTS}/probability/z{{zoom}}/{{shard}}.parquet",
    log:
        f"{LOGS}/probability/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/probability/z{{zoom}}/{{shard}}.tsv"
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        block_pixels=int(PROBABILITY["block_pixels"]),
    script:
        "../scripts/probability.py"


# A shard named "scores" would otherwise make the zoom's scores ambiguous.
ruleorder: probability_scores > probability


rule probability_scores:
    input:
        scores=per_shard(f"{RESULTS}/probability/z{{zoom}}/{{shard}}.parquet"),
    output:
        scores=f"{RESULTS}/probability/z{{zoom}}/scores.parquet",
    log:
        f"{LOGS}/probability_scores/z{{zoom}}.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/probability_scores.py"


rule probability_export_gee:
    input:
        model=DEPLOYED_MODEL,
    output:
        python=f"{PROBABILITY_DIR}/gee/mine_probability.py",
        javascript=f"{PROBABILITY_DIR}/gee/mine_probability.js",
        expression=f"{PROBABILITY_DIR}/gee/expression.txt",
    log:
        f"{LOGS}/probability_export_gee/z{MODELS_ZOOM}.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        # The training epoch's composite as the gee backend builds it, for the usage examples.
        composite=gee_composite_params(IMAGERY, EPOCHS[TRAINING_EPOCH]),
    script:
        "../scripts/probability_export_gee.py"


rule probability_figure:
    input:
        scores=f"{RESULTS}/probability/z{{zoom}}/scores.parquet",
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
    output:
        report(
            f"{RESULTS}/probability/z{{zoom}}/scores.png",
            caption="../report/probability_scores.rst",
            category="Probability",
            subcategory="z{zoom}",
        ),
    log:
        f"{LOGS}/probability_figure/z{{zoom}}.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        simulated=IMAGERY["backend"] == "synthetic",
    script:
        "../scripts/probability_figure.py"
