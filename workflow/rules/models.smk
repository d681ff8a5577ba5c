# Pixel models (seed 002, section 3): training tables, LASSO and L1-logistic paths, other model
# families, comparison on held-out cells, channel ranking, Earth Engine export, tile scanning,
# and the evaluation on real Sentinel-2 chips.
from pathlib import Path

from minescan.imagery.bands import DEFAULT_BANDS
from minescan.pixelmodels.targets import final_targets, model_predictions, per_shard

MODELS = config["models"]
MODELS_ZOOM = int(MODELS["zoom"]) if MODELS.get("zoom") is not None else max(ZOOMS)
MODELS_BANDS = list(config.get("imagery", {}).get("bands", DEFAULT_BANDS))
MODELS_DIR = f"{RESULTS}/models/z{{zoom}}"
MODELS_UNITS = ["pixel", "patch"] if int(MODELS["patch_size"]) > 1 else ["pixel"]
MODELS_FEATURE_FLAGS = {
    "use_bands": MODELS["features"]["bands"],
    "pairs": MODELS["features"]["pairs"],
    "indices": MODELS["features"]["indices"],
}
MODELS_CHIPS = MODELS["chips"]["path"]


wildcard_constraints:
    unit=r"pixel|patch",
    linear=r"lasso|logistic",
    family=r"hist_gradient_boosting|random_forest",


MODELS_PREDICTIONS = model_predictions(MODELS_DIR, MODELS_UNITS, MODELS["families"])
get_models_pixel_tables = per_shard(checkpoints, f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.parquet")
get_models_scan_scores = per_shard(
    checkpoints, f"{RESULTS}/models/z{{zoom}}/scan/{{shard}}.parquet"
)
get_models_outputs = final_targets(
    RESULTS, MODELS_ZOOM, MODELS["scan"]["enabled"], MODELS_CHIPS
)

FINAL_OUTPUT_FUNCTIONS.append(get_models_outputs)


rule models_dataset:
    input:
        tables=get_models_pixel_tables,
    output:
        pixels=f"{MODELS_DIR}/pixel/dataset.parquet",
        patches=f"{MODELS_DIR}/patch/dataset.parquet",
    params:
        bands=MODELS_BANDS,
        max_rows=MODELS["max_rows"],
        seed=MODELS["seed"],
        split_by=MODELS["split"]["by"],
        fractions=MODELS["split"]["fractions"],
        edge_buffer_m=MODELS["edge_buffer_m"],
        patch_size=MODELS["patch_size"],
    log:
        f"{LOGS}/models_dataset/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/models_dataset/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(2000, 12 * input.size_mb),
        runtime=30,
    conda:
        "../../envs/models.yaml"
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
    log:
        f"{LOGS}/models_linear_path/z{{zoom}}_{{unit}}_{{linear}}.log",
    benchmark:
        f"{BENCHMARKS}/models_linear_path/z{{zoom}}_{{unit}}_{{linear}}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(3000, 40 * input.size_mb),
        runtime=60,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/models_linear_path.py"


rule models_family:
    input:
        dataset=f"{MODELS_DIR}/{{unit}}/dataset.parquet",
    output:
        predictions=f"{MODELS_DIR}/{{unit}}/{{family}}/predictions.parquet",
    params:
        bands=MODELS_BANDS,
        feature_flags=MODELS_FEATURE_FLAGS,
        max_rows=MODELS["family_max_rows"],
        seed=MODELS["seed"],
    log:
        f"{LOGS}/models_family/z{{zoom}}_{{unit}}_{{family}}.log",
    benchmark:
        f"{BENCHMARKS}/models_family/z{{zoom}}_{{unit}}_{{family}}.tsv"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, 40 * input.size_mb),
        runtime=120,
    conda:
        "../../envs/models.yaml"
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
    params:
        names=list(MODELS_PREDICTIONS),
        breakdown_by=["country", "climate"],
    log:
        f"{LOGS}/models_compare/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/models_compare/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/models.yaml"
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
    params:
        bands=MODELS_BANDS,
        feature_flags=MODELS_FEATURE_FLAGS,
        top_k=MODELS["top_channels"],
        max_rows=MODELS["family_max_rows"],
        seed=MODELS["seed"],
    log:
        f"{LOGS}/models_channels/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/models_channels/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(3000, 40 * input.size_mb),
        runtime=30,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/models_channels.py"


rule models_export_gee:
    input:
        model=f"{MODELS_DIR}/pixel/{MODELS['deploy']}/model.json",
    output:
        python=f"{MODELS_DIR}/gee/mine_probability.py",
        javascript=f"{MODELS_DIR}/gee/mine_probability.js",
        expression=f"{MODELS_DIR}/gee/expression.txt",
    log:
        f"{LOGS}/models_export_gee/z{{zoom}}.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/models_export_gee.py"


rule models_scan:
    input:
        tiles=f"{RESULTS}/tiles/z{{zoom}}/{{shard}}",
        status=f"{RESULTS}/tiles/z{{zoom}}/{{shard}}.status.csv",
        model=f"{RESULTS}/models/z{MODELS_ZOOM}/pixel/{MODELS['deploy']}/model.json",
    output:
        probabilities=directory(f"{RESULTS}/models/z{{zoom}}/scan/{{shard}}"),
        scores=f"{RESULTS}/models/z{{zoom}}/scan/{{shard}}.parquet",
    params:
        block_pixels=MODELS["scan"]["block_pixels"],
    log:
        f"{LOGS}/models_scan/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/models_scan/z{{zoom}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/models_scan.py"


rule models_scan_scores:
    input:
        scores=get_models_scan_scores,
    output:
        scores=f"{RESULTS}/models/z{{zoom}}/scan_scores.parquet",
    log:
        f"{LOGS}/models_scan_scores/z{{zoom}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/models_scan_scores.py"


rule models_chips:
    input:
        chips=f"{MODELS_CHIPS}/chips.csv",
    output:
        metrics=report(
            f"{RESULTS}/models/chips/metrics.csv",
            caption="../report/models_chips.rst",
            category="Pixel models",
            subcategory="real Amazon chips",
        ),
        splits=f"{RESULTS}/models/chips/splits.csv",
        zero_order=f"{RESULTS}/models/chips/zero_order.csv",
        model=f"{RESULTS}/models/chips/logistic_model.json",
        weights_plot=report(
            f"{RESULTS}/models/chips/lasso_weights.png",
            caption="../report/models_chips_weights.rst",
            category="Pixel models",
            subcategory="real Amazon chips",
        ),
        scores_plot=report(
            f"{RESULTS}/models/chips/lasso_scores.png",
            caption="../report/models_chips_weights.rst",
            category="Pixel models",
            subcategory="real Amazon chips",
        ),
        pr_plot=report(
            f"{RESULTS}/models/chips/pr_curves.png",
            caption="../report/models_chips.rst",
            category="Pixel models",
            subcategory="real Amazon chips",
        ),
    params:
        folder=lambda wc, input: str(Path(input.chips).parent),
        block_deg=MODELS["chips"]["block_deg"],
        fractions=MODELS["split"]["fractions"],
        seed=MODELS["seed"],
        pixels_per_chip=MODELS["chips"]["pixels_per_chip"],
        n_lambdas=MODELS["lasso"]["n_lambdas"],
        tolerance=MODELS["selection_tolerance"],
        families=MODELS["families"],
    log:
        f"{LOGS}/models_chips.log",
    benchmark:
        f"{BENCHMARKS}/models_chips.tsv"
    threads: 2
    resources:
        mem_mb=6000,
        runtime=30,
    conda:
        "../../envs/models.yaml"
    script:
        "../scripts/models_chips.py"
