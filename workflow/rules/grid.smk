# Grid stage (seed 002, 2.1 and 4.2 step 1): clean polygons, then one nested grid per zoom level.


rule clean_polygons:
    input:
        polygons=config["polygons"]["path"],
    output:
        polygons=f"{RESULTS}/polygons/polygons.parquet",
        report=f"{RESULTS}/polygons/cleaning.json",
    params:
        layer=config["polygons"].get("layer"),
        schema=config["polygons"].get("schema", "auto"),
    log:
        f"{LOGS}/clean_polygons.log",
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


checkpoint grid_cells:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        gpkg=f"{RESULTS}/grid/z{{zoom}}/cells.gpkg",
        locations=f"{RESULTS}/grid/z{{zoom}}/locations.csv",
        shards=f"{RESULTS}/grid/z{{zoom}}/shards.csv",
    params:
        grid=config["grid"],
        negatives=config["negatives"],
    log:
        f"{LOGS}/grid_cells/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/grid_cells/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(2000, 20 * input.size_mb),
        runtime=30,
    conda:
        "../../envs/grid.yaml"
    script:
        "../scripts/grid_cells.py"


rule grid_map:
    input:
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        polygons=rules.clean_polygons.output.polygons,
    output:
        report(
            f"{RESULTS}/grid/z{{zoom}}/map.png",
            caption="../report/grid_map.rst",
            category="Grid",
            subcategory="z{zoom}",
        ),
    log:
        f"{LOGS}/grid_map/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/grid_map/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/grid.yaml"
    script:
        "../scripts/grid_map.py"


rule scan_cells:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        cells=f"{RESULTS}/scan/z{{zoom}}/cells.parquet",
    params:
        region=config["scan"].get("region"),
        grid=config["grid"],
        min_land_fraction=config["negatives"].get("min_land_fraction", 0.5),
    log:
        f"{LOGS}/scan_cells/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/scan_cells/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/grid.yaml"
    script:
        "../scripts/scan_cells.py"
