# Polygons stage (seed 002, 2.1): read, check and repair the mining polygons once.


rule clean_polygons:
    input:
        polygons=config["polygons"]["path"],
    output:
        polygons=f"{RESULTS}/polygons/polygons.parquet",
        report=report(
            f"{RESULTS}/polygons/cleaning.json",
            caption="../report/polygons_cleaning.rst",
            category="Polygons",
        ),
    params:
        layer=config["polygons"]["layer"],
        schema=config["polygons"]["schema"],
        **POLYGON_DATES,
    log:
        f"{LOGS}/clean_polygons.log",
    priority: 10
    benchmark:
        f"{BENCHMARKS}/clean_polygons.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(1000, 40 * input.size_mb),
        runtime=30,
    conda:
        "../../envs/grid.yaml"
    script:
        "../scripts/clean_polygons.py"
