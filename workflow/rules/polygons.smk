# Polygons stage: read, check and repair the mining polygons once.


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
    log:
        f"{LOGS}/clean_polygons.log",
    benchmark:
        f"{BENCHMARKS}/clean_polygons.tsv"
    priority: 10
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(1000, 40 * input.size_mb),
        runtime=30,
    params:
        **POLYGON_DATES,
        layer=config["polygons"]["layer"],
        schema=config["polygons"]["schema"],
    script:
        "../scripts/clean_polygons.py"
