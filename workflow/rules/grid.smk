# Grid stage (seed 002, 2.1 and 4.2 step 1): one nested grid of positive and negative cells per
# zoom level, its map, and (region mode) every land cell of a region.
GRID = config["grid"]


def get_level(wildcards):
    """What one zoom level's cells depend on, and nothing else (see grid.steps.level_spec)."""
    zoom = int(wildcards.zoom)
    return {
        "cell_size_m": CELL_SIZES[zoom],
        "parent_zoom": zoom - 1 if zoom - 1 in CELL_SIZES else None,
        "pixel_size_m": PIXEL_SIZE,
        "min_overlap_fraction": float(GRID["min_overlap_fraction"]),
        "max_cells_per_shard": int(GRID["max_cells_per_shard"]),
        "shard_block_m": int(GRID["shard_block_m"]),
    }


def get_grid_outputs():
    """Every grid product of every configured zoom level."""
    return expand(
        [
            f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
            f"{RESULTS}/grid/z{{zoom}}/cells.gpkg",
            f"{RESULTS}/grid/z{{zoom}}/locations.csv",
            f"{RESULTS}/grid/z{{zoom}}/map.png",
        ],
        zoom=ZOOMS,
    )


def get_region_outputs():
    """The region's cells and their map, when a region is configured."""
    if config["region"].get("extent") is None:
        return []
    zoom = config["region"]["zoom"]
    return [
        f"{RESULTS}/grid/region/z{zoom}/cells.parquet",
        f"{RESULTS}/grid/region/z{zoom}/map.png",
    ]


FINAL_OUTPUT_FUNCTIONS.extend([get_grid_outputs, get_region_outputs])


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
        extent=canonical(config["region"]["extent"]),
        level=get_level,
        min_land_fraction=float(config["negatives"]["min_land_fraction"]),
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
