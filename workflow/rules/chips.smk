# The real-chip evaluation: pixel models trained and scored on real Sentinel-2 chip pairs
# (chips/amazon_s2_change of the shared data, or any folder in its layout).


rule chips_evaluate:
    input:
        chips=f"{CHIPS['path']}/chips.csv",
    output:
        metrics=report(
            f"{CHIPS_DIR}/metrics.csv",
            caption="../report/chips_metrics.rst",
            category="Real chips",
        ),
        splits=f"{CHIPS_DIR}/splits.csv",
        zero_order=f"{CHIPS_DIR}/zero_order.csv",
        model=f"{CHIPS_DIR}/logistic_model.json",
        weights_plot=report(
            f"{CHIPS_DIR}/lasso_weights.png",
            caption="../report/chips_weights.rst",
            category="Real chips",
        ),
        scores_plot=report(
            f"{CHIPS_DIR}/lasso_scores.png",
            caption="../report/chips_weights.rst",
            category="Real chips",
        ),
        pr_plot=report(
            f"{CHIPS_DIR}/pr_curves.png",
            caption="../report/chips_metrics.rst",
            category="Real chips",
        ),
    params:
        folder=lambda wc, input: str(Path(input.chips).parent),
        block_deg=float(CHIPS["block_deg"]),
        pixels_per_chip=int(CHIPS["pixels_per_chip"]),
        fractions=list(MODELS["split"]["fractions"]),
        seed=int(MODELS["seed"]),
        n_lambdas=int(MODELS["lasso"]["n_lambdas"]),
        tolerance=float(MODELS["selection_tolerance"]),
        families=list(MODELS["families"]),
    log:
        f"{LOGS}/chips_evaluate.log",
    benchmark:
        f"{BENCHMARKS}/chips_evaluate.tsv"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=30,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/chips_evaluate.py"
