# Grid stage: one nested grid of positive and negative cells per
# zoom level, its map, and (region mode) every land cell of a region.


checkpoint grid_cells:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        gpkg=f"{RESULTS}/grid/z{{zoom}}/cells.gpkg",
        locations=f"{RESULTS}/grid/z{{zoom}}/locations.csv",
        shards=f"{RESULTS}/grid/z{{zoom}}/shards.csv",
    log:
        f"{LOGS}/grid_cells/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/grid_cells/z{{zoom}}.tsv"
    priority: 10
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(2000, 20 * input.size_mb),
        runtime=30,
    params:
        level=get_level,
        negatives=canonical(config["negatives"]),
    script:
        "../scripts/grid_cells.py"


checkpoint region_cells:
    input:
        polygons=rules.clean_polygons.output.polygons,
    output:
        cells=f"{RESULTS}/grid/region/z{{zoom}}/cells.parquet",
        shards=f"{RESULTS}/grid/region/z{{zoom}}/shards.csv",
    log:
        f"{LOGS}/region_cells/z{{zoom}}.log",
    benchmark:
        f"{BENCHMARKS}/region_cells/z{{zoom}}.tsv"
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        extent=canonical(PYRAMID["region"]),
        level=get_level,
        min_land_fraction=float(PYRAMID["min_land_fraction"]),
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
    log:
        f"{LOGS}/grid_map/z{{zoom}}.log",
    priority: 10
    conda:
        "../../envs/grid.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        title=lambda wc: f"minescan grid, zoom {wc.zoom}",
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
    log:
        f"{LOGS}/region_map/z{{zoom}}.log",
    params:
        title=lambda wc: f"minescan region, zoom {wc.zoom}",
