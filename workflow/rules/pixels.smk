# Pixel tables (seed 002, 2.2, 3_gtiff_csv_s2): per shard, one row per valid pixel with the
# bands, the signed distance to the nearest polygon edge, the mine label and the cell metadata.


get_pixel_tables = per_shard(checkpoints, f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.parquet")
get_pixel_csvs = per_shard(checkpoints, f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.csv")
# The per-zoom summary depends on every shard's pixel table (and CSV when asked).
get_pixels_outputs = per_zoom(f"{RESULTS}/pixels/z{{zoom}}/summary.csv", ZOOMS)

FINAL_OUTPUT_FUNCTIONS.append(get_pixels_outputs)


# A shard named "summary" would otherwise make the zoom summary ambiguous.
ruleorder: pixels_summary > pixels_csv


rule pixels:
    input:
        status=rules.tiles.output.status,
        tiles=rules.tiles.output.tiles,
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        polygons=rules.clean_polygons.output.polygons,
    output:
        table=f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.parquet",
    params:
        bands=config["imagery"]["bands"],
        pixel_size=config["grid"].get("pixel_size_m", 10),
        pixels=config["pixels"],
    log:
        f"{LOGS}/pixels/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pixels/z{{zoom}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=config["pixels"]["mem_mb"],
        runtime=config["pixels"]["runtime_min"],
    conda:
        "../../envs/imagery.yaml"
    script:
        "../scripts/pixels_shard.py"


rule pixels_csv:
    input:
        table=rules.pixels.output.table,
    output:
        csv=f"{RESULTS}/pixels/z{{zoom}}/{{shard}}.csv",
    log:
        f"{LOGS}/pixels_csv/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/pixels_csv/z{{zoom}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/imagery.yaml"
    script:
        "../scripts/pixels_csv.py"


rule pixels_summary:
    input:
        tables=get_pixel_tables,
        csvs=get_pixel_csvs if config["pixels"]["csv"] else [],
    output:
        summary=f"{RESULTS}/pixels/z{{zoom}}/summary.csv",
    log:
        f"{LOGS}/pixels_summary/z{{zoom}}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/imagery.yaml"
    script:
        "../scripts/pixels_summary.py"
