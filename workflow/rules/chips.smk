# Real Sentinel-2 chips (chips/amazon_s2_change of the shared data, or any folder in its
# layout): clean mine-presence and mine-emergence tasks under spatial block cross-validation and
# region-out evaluation (chips.region_out), the CNN ensembles and their baselines, polygon-derived pixel labels, and the scoring of other
# chips folders with the trained CNN.


rule chips_evaluate:
    input:
        unpack(get_chips_evaluate_inputs),
    output:
        metrics=report(
            f"{CHIPS_DIR}/metrics.csv",
            caption="../report/chips_metrics.rst",
            category="Real chips",
        ),
        rates=report(
            f"{CHIPS_DIR}/rates.csv",
            caption="../report/chips_rates.rst",
            category="Real chips",
        ),
        folds=f"{CHIPS_DIR}/folds.csv",
        training=f"{CHIPS_DIR}/training.csv",
        learning_curve=f"{CHIPS_DIR}/learning_curve.csv",
        predictions=f"{CHIPS_DIR}/predictions.parquet",
        model=f"{CHIPS_DIR}/cnn_model.pt",
        curves=report(
            f"{CHIPS_DIR}/curves.png",
            caption="../report/chips_curves.rst",
            category="Real chips",
        ),
        learning_curve_plot=report(
            f"{CHIPS_DIR}/learning_curve.png",
            caption="../report/chips_learning_curve.rst",
            category="Real chips",
        ),
        gallery_presence=report(
            f"{CHIPS_DIR}/gallery_presence.png",
            caption="../report/chips_gallery.rst",
            category="Real chips",
        ),
        gallery_emergence=report(
            f"{CHIPS_DIR}/gallery_emergence.png",
            caption="../report/chips_gallery.rst",
            category="Real chips",
        ),
    log:
        f"{LOGS}/chips_evaluate.log",
    benchmark:
        f"{BENCHMARKS}/chips_evaluate.tsv"
    conda:
        "../../envs/chips.yaml"
    threads: int(CHIPS_CNN["threads"])
    resources:
        gpu=1,
        cpus_per_gpu=int(CHIPS_CNN["threads"]),
        mem_mb=int(CHIPS_CNN["mem_mb"]),
        runtime=int(CHIPS_CNN["runtime_min"]),
    params:
        folder=get_chips_folder,
        weak_chips=get_chips_weak_chips,
        max_pairs=CHIPS["max_pairs"],
        block_deg=float(CHIPS["block_deg"]),
        folds=int(CHIPS["folds"]),
        region_out=dict(CHIPS["region_out"]),
        seed=int(MODELS["seed"]),
        members=int(CHIPS_CNN["members"]),
        width=int(CHIPS_CNN["width"]),
        depth=int(CHIPS_CNN["depth"]),
        epochs=int(CHIPS_CNN["epochs"]),
        patience=int(CHIPS_CNN["patience"]),
        standardise=str(CHIPS_CNN["standardise"]),
        indices=bool(CHIPS_CNN["indices"]),
        augment=list(CHIPS_CNN["augment"]),
        pair_augment=list(CHIPS_CNN["pair_augment"]),
        tta=bool(CHIPS_CNN["tta"]),
        pair_kind=str(CHIPS_CNN["pair_network"]),
        clean_labels=bool(CHIPS_CNN["clean_labels"]),
        bootstrap=int(CHIPS["bootstrap"]),
        pixels_per_chip=int(CHIPS["pixels_per_chip"]),
        n_lambdas=int(MODELS["logistic"]["n_lambdas"]),
        tolerance=float(MODELS["selection_tolerance"]),
        families=list(CHIPS["pixel_families"]),
        learning_curve=[float(f) for f in CHIPS["learning_curve"]],
    script:
        "../scripts/chips_evaluate.py"


rule chips_weak_labels:
    input:
        chips=f"{CHIPS['path']}/chips.csv",
        polygons=str(CHIPS["polygons"]),
    output:
        pixels=f"{CHIPS_DIR}/weak_labels/pixels.parquet",
        chips=f"{CHIPS_DIR}/weak_labels/chips.csv",
        agreement=report(
            f"{CHIPS_DIR}/weak_labels/agreement.csv",
            caption="../report/chips_weak_labels.rst",
            category="Real chips",
        ),
        metrics=report(
            f"{CHIPS_DIR}/weak_labels/metrics.csv",
            caption="../report/chips_weak_labels.rst",
            category="Real chips",
        ),
        zero_order=f"{CHIPS_DIR}/weak_labels/zero_order.csv",
        model=f"{CHIPS_DIR}/weak_labels/logistic_model.json",
        weights_plot=report(
            f"{CHIPS_DIR}/weak_labels/lasso_weights.png",
            caption="../report/chips_weights.rst",
            category="Real chips",
        ),
        scores_plot=report(
            f"{CHIPS_DIR}/weak_labels/lasso_scores.png",
            caption="../report/chips_weights.rst",
            category="Real chips",
        ),
    log:
        f"{LOGS}/chips_weak_labels.log",
    benchmark:
        f"{BENCHMARKS}/chips_weak_labels.tsv"
    conda:
        "../../envs/chips.yaml"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        folder=get_chips_folder,
        max_pairs=CHIPS["max_pairs"],
        polygons=get_chips_polygons,
        block_deg=float(CHIPS["block_deg"]),
        fractions=list(MODELS["split"]["fractions"]),
        seed=int(MODELS["seed"]),
        pixels_per_chip=int(CHIPS["pixels_per_chip"]),
        n_lambdas=int(MODELS["lasso"]["n_lambdas"]),
        tolerance=float(MODELS["selection_tolerance"]),
        families=list(MODELS["families"]),
    script:
        "../scripts/chips_weak_labels.py"


rule chips_score:
    input:
        model=f"{CHIPS_DIR}/cnn_model.pt",
        chips=get_scored_chips,
    output:
        metrics=report(
            f"{CHIPS_DIR}/scored/{{scored}}/metrics.csv",
            caption="../report/chips_metrics.rst",
            category="Real chips",
            subcategory="{scored}",
        ),
        rates=f"{CHIPS_DIR}/scored/{{scored}}/rates.csv",
        predictions=f"{CHIPS_DIR}/scored/{{scored}}/predictions.parquet",
        curves=f"{CHIPS_DIR}/scored/{{scored}}/curves.png",
        gallery_presence=f"{CHIPS_DIR}/scored/{{scored}}/gallery_presence.png",
        gallery_emergence=f"{CHIPS_DIR}/scored/{{scored}}/gallery_emergence.png",
    log:
        f"{LOGS}/chips_score/{{scored}}.log",
    benchmark:
        f"{BENCHMARKS}/chips_score/{{scored}}.tsv"
    conda:
        "../../envs/chips.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        folder=get_chips_folder,
        block_deg=float(CHIPS["block_deg"]),
        bootstrap=int(CHIPS["bootstrap"]),
        seed=int(MODELS["seed"]),
    script:
        "../scripts/chips_score.py"


rule chips_gallery_model:
    input:
        chips=f"{CHIPS_GALLERY['path']}/chips.csv",
    output:
        model=f"{CHIPS_DIR}/gallery/model.pt",
    log:
        f"{LOGS}/chips_gallery_model.log",
    benchmark:
        f"{BENCHMARKS}/chips_gallery_model.tsv"
    conda:
        "../../envs/chips.yaml"
    threads: int(CHIPS_GALLERY["threads"])
    resources:
        gpu=1,
        cpus_per_gpu=int(CHIPS_GALLERY["threads"]),
        mem_mb=int(CHIPS_GALLERY["mem_mb"]),
        runtime=int(CHIPS_GALLERY["runtime_min"]),
    params:
        gallery=lambda wildcards, input: str(Path(input.chips).parent),
        recipe=dict(CHIPS_GALLERY["recipe"]),
        validation_share=float(CHIPS_GALLERY["validation_share"]),
        seed=int(MODELS["seed"]),
    script:
        "../scripts/chips_gallery_model.py"


rule chips_gallery_evaluate:
    input:
        chips=f"{CHIPS_GALLERY['path']}/chips.csv",
    output:
        scores=f"{CHIPS_DIR}/gallery/evaluation/scores.parquet",
        summary=report(
            f"{CHIPS_DIR}/gallery/evaluation/summary.csv",
            caption="../report/chips_gallery_evaluation.rst",
            category="Real chips",
        ),
    log:
        f"{LOGS}/chips_gallery_evaluate.log",
    benchmark:
        f"{BENCHMARKS}/chips_gallery_evaluate.tsv"
    conda:
        "../../envs/chips.yaml"
    threads: int(CHIPS_GALLERY["threads"])
    resources:
        gpu=1,
        cpus_per_gpu=int(CHIPS_GALLERY["threads"]),
        mem_mb=int(CHIPS_GALLERY["mem_mb"]),
        runtime=int(CHIPS_GALLERY["runtime_min"]),
    params:
        gallery=lambda wildcards, input: str(Path(input.chips).parent),
        recipe=dict(CHIPS_GALLERY["recipe"]),
        regions=int(CHIPS_GALLERY["regions"]),
        buffer_deg=float(CHIPS_GALLERY["buffer_deg"]),
        folds=int(CHIPS_GALLERY["folds"]),
        validation_share=float(CHIPS_GALLERY["validation_share"]),
        seed=int(MODELS["seed"]),
        bootstrap=int(CHIPS["bootstrap"]),
    script:
        "../scripts/chips_gallery_evaluate.py"


rule chips_mine_free:
    input:
        model=CHIPS_SHIPPED["model"],
    output:
        alarms=report(
            f"{CHIPS_DIR}/shipped/mine_free.csv",
            caption="../report/chips_mine_free.rst",
            category="Real chips",
        ),
    log:
        f"{LOGS}/chips_mine_free.log",
    benchmark:
        f"{BENCHMARKS}/chips_mine_free.tsv"
    conda:
        "../../envs/chips.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        scenes=get_mine_free_scenes(),
        stride=int(CHIPS_SHIPPED["stride"]),
    script:
        "../scripts/chips_mine_free.py"
