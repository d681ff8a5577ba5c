# Pixel tables: per shard of the training tiles, one row per
# valid pixel with the bands, the signed distance to the nearest polygon edge, the mine label
# and the cell metadata.


# A shard named "summary" would otherwise make the zoom summary ambiguous.
ruleorder: pixels_summary > pixels_csv


rule pixels:
    input:
        status=f"{TRAINING_TILES}/{{shard}}.status.csv",
        tiles=f"{TRAINING_TILES}/{{shard}}",
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        polygons=rules.clean_polygons.output.polygons,
    output:
        table=f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.parquet",
    log:
        f"{LOGS}/pixels/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pixels/z{{zoom}}/{{shard}}.tsv"
    # detection and the footprints take their channels from the models: first of all
    priority: 6
    conda:
        "../../envs/imagery.yaml"
    threads: 1
    resources:
        mem_mb=PIXELS["mem_mb"],
        runtime=PIXELS["runtime_min"],
    params:
        bands=list(IMAGERY["bands"]),
        pixel_size=PIXEL_SIZE,
        sample_fraction=float(PIXELS["sample_fraction"]),
        edge_buffer_m=float(PIXELS["edge_buffer_m"]),
        seed=int(PIXELS["seed"]),
        distance_method=PIXELS["distance_method"],
        distance_margin_m=float(PIXELS["distance_margin_m"]),
    script:
        "../scripts/pixels.py"


rule pixels_csv:
    input:
        table=rules.pixels.output.table,
    output:
        csv=f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.csv",
    log:
        f"{LOGS}/pixels_csv/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pixels_csv/z{{zoom}}/{{shard}}.tsv"
    conda:
        "../../envs/imagery.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/pixels_csv.py"


rule pixels_summary:
    input:
        tables=per_shard(f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.parquet"),
        csvs=(
            per_shard(f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.csv")
            if PIXELS["csv"]
            else []
        ),
    output:
        summary=report(
            f"{RESULTS}/pixels/z{{zoom}}/summary.csv",
            caption="../report/pixels_summary.rst",
            category="Pixel tables",
            subcategory="z{zoom}",
        ),
    log:
        f"{LOGS}/pixels_summary/z{{zoom}}.log",
    conda:
        "../../envs/imagery.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/pixels_summary.py"
