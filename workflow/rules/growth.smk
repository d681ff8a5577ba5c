# Growth stage: the dated polygons of the growth region, its cells (cell set
# "growth", imaged per epoch by the tiles rule), and, from the footprints of each date window,
# the mine area per window, new and lost area and new sites per cell, country and region, the
# evaluation against the dated polygons, a map and a plot of area over time.
#   results/growth/z{zoom}/{areas,changes,evaluation}.csv, cells.parquet, new_sites.parquet,
#   growth.gpkg, summary.json, map.png, area.png, gallery.png


use rule clean_polygons as growth_polygons with:
    input:
        polygons=lambda wc: GROWTH["polygons"],
    output:
        polygons=CELLSETS["growth"]["polygons"],
        report=f"{RESULTS}/polygons/growth/cleaning.json",
    log:
        f"{LOGS}/growth_polygons.log",
    benchmark:
        f"{BENCHMARKS}/growth_polygons.tsv"
    params:
        layer=lambda wc: GROWTH["layer"],
        schema="auto",
        date_column=lambda wc: GROWTH["date_column"],


checkpoint growth_cells:
    input:
        polygons=CELLSETS["growth"]["polygons"],
    output:
        cells=CELLSETS["growth"]["cells"],
        shards=f"{RESULTS}/grid/growth/z{{zoom}}/shards.csv",
    log:
        f"{LOGS}/growth_cells/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/growth_cells/z{{zoom}}.tsv"
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        extent=lambda wc: canonical(GROWTH["region"]),
        level=get_level,
        # Every cell meeting the region: the user drew it around the mines.
        min_land_fraction=0.0,
    script:
        "../scripts/region_cells.py"


rule growth_measure:
    input:
        unpack(get_growth_inputs),
    output:
        areas=f"{GROWTH_DIR}/areas.csv",
        changes=report(
            f"{GROWTH_DIR}/changes.csv",
            caption="../report/growth_changes.rst",
            category="Growth",
            subcategory="z{zoom}",
        ),
        cells=f"{GROWTH_DIR}/cells.parquet",
        new_sites=f"{GROWTH_DIR}/new_sites.parquet",
        gpkg=f"{GROWTH_DIR}/growth.gpkg",
        evaluation=report(
            f"{GROWTH_DIR}/evaluation.csv",
            caption="../report/growth_evaluation.rst",
            category="Growth",
            subcategory="z{zoom}",
        ),
        summary=f"{GROWTH_DIR}/summary.json",
    log:
        f"{LOGS}/growth_measure/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/growth_measure/z{{zoom}}.tsv"
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        epochs=GROWTH_EPOCHS,
        windows=get_growth_windows(),
        new_site_distance_m=lambda wc: float(GROWTH["new_site_distance_m"]),
        region=lambda wc: str(GROWTH["region_name"]),
        imagery=get_growth_imagery(),
    script:
        "../scripts/growth_measure.py"


rule growth_figures:
    input:
        unpack(get_growth_figure_inputs),
    output:
        map=report(
            f"{GROWTH_DIR}/map.png",
            caption="../report/growth_map.rst",
            category="Growth",
            subcategory="z{zoom}",
        ),
        area=report(
            f"{GROWTH_DIR}/area.png",
            caption="../report/growth_area.rst",
            category="Growth",
            subcategory="z{zoom}",
        ),
        gallery=report(
            f"{GROWTH_DIR}/gallery.png",
            caption="../report/growth_gallery.rst",
            category="Growth",
            subcategory="z{zoom}",
        ),
    log:
        f"{LOGS}/growth_figures/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/growth_figures/z{{zoom}}.tsv"
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        epochs=GROWTH_EPOCHS,
        region=lambda wc: str(GROWTH["region_name"]),
        imagery=get_growth_imagery(),
    script:
        "../scripts/growth_figures.py"


# Growth on real imagery: the real chip pairs' t0 and t1 segmented out of fold and compared per
# pair with the yearly polygons' area and growth. Off in the demo (about 12 minutes on one
# core); `snakemake --cores 1 growth_chip_pairs --configfile config/config.yaml
# experiments/configs/growth_chip_pairs.yaml`.
#   results/growth/chip_pairs/{metrics,by_category,per_fold,per_block,label_agreement,
#   history,pairs}.csv, summary.json, growth_scatter.png
rule growth_chip_pairs:
    input:
        chips=f"{CHIPS['path']}/chips.csv",
        polygons=CHIPS["polygons"],
    output:
        metrics=report(
            f"{RESULTS}/growth/chip_pairs/metrics.csv",
            caption="../report/growth_chip_pairs.rst",
            category="Growth",
            subcategory="real chip pairs",
        ),
        by_category=f"{RESULTS}/growth/chip_pairs/by_category.csv",
        per_fold=f"{RESULTS}/growth/chip_pairs/per_fold.csv",
        per_block=f"{RESULTS}/growth/chip_pairs/per_block.csv",
        label_agreement=f"{RESULTS}/growth/chip_pairs/label_agreement.csv",
        history=f"{RESULTS}/growth/chip_pairs/history.csv",
        pairs=f"{RESULTS}/growth/chip_pairs/pairs.csv",
        summary=f"{RESULTS}/growth/chip_pairs/summary.json",
        scatter=report(
            f"{RESULTS}/growth/chip_pairs/growth_scatter.png",
            caption="../report/growth_chip_pairs.rst",
            category="Growth",
            subcategory="real chip pairs",
        ),
    log:
        f"{LOGS}/growth_chip_pairs.log",
    benchmark:
        f"{BENCHMARKS}/growth_chip_pairs.tsv"
    conda:
        "../../envs/footprints.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        folder=get_chips_folder,
        settings=get_growth_chip_pairs_settings,
        block_deg=float(CHIPS["block_deg"]),
        seed=int(MODELS["seed"]),
    script:
        "../scripts/growth_chip_pairs.py"
