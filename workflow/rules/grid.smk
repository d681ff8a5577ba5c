# Grid stage (seed 002, 2.1 and 4.2 step 1): one nested grid of positive and negative cells per
# zoom level, its map, and (region mode) every land cell of a region.


checkpoint grid_cells:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        gpkg=f"{RESULTS}/grid/z{{zoom}}/cells.gpkg",
        locations=f"{RESULTS}/grid/z{{zoom}}/locations.csv",
        shards=f"{RESULTS}/grid/z{{zoom}}/shards.csv",
    params:
        level=get_level,
        negatives=canonical(config["negatives"]),
    log:
        f"{LOGS}/grid_cells/z{{zoom}}.log",
    priority: 10
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


checkpoint region_cells:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        cells=f"{RESULTS}/grid/region/z{{zoom}}/cells.parquet",
        shards=f"{RESULTS}/grid/region/z{{zoom}}/shards.csv",
    params:
        extent=canonical(PYRAMID["region"]),
        level=get_level,
        min_land_fraction=float(PYRAMID["min_land_fraction"]),
    log:
        f"{LOGS}/region_cells/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/region_cells/z{{zoom}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/grid.yaml"
    script:
        "../scripts/region_cells.py"


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
    params:
        title=lambda wc: f"minescan grid, zoom {wc.zoom}",
    log:
        f"{LOGS}/grid_map/z{{zoom}}.log",
    priority: 10
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/grid.yaml"
    script:
        "../scripts/grid_map.py"


use rule grid_map as region_map with:
    input:
        cells=f"{RESULTS}/grid/region/z{{zoom}}/cells.parquet",
        polygons=rules.clean_polygons.output.polygons,
    output:
        report(
            f"{RESULTS}/grid/region/z{{zoom}}/map.png",
            caption="../report/grid_map.rst",
            category="Grid",
            subcategory="region z{zoom}",
        ),
    params:
        title=lambda wc: f"minescan region, zoom {wc.zoom}",
    log:
        f"{LOGS}/region_map/z{{zoom}}.log",
