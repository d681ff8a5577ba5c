# Imagery stage (seed 002, 2.2 and 4.2 step 2): per shard, one Cloud-Optimized GeoTIFF per cell
# (Sentinel-2 bands + the _mine band) and a status table; RGB previews and a contact sheet.
from minescan.imagery.bands import check_bands
from minescan.imagery.targets import per_shard, per_zoom

check_bands(config["imagery"]["bands"])

get_tile_statuses = per_shard(checkpoints, f"{RESULTS}/tiles/z{{zoom}}/{{shard}}.status.csv")
get_contact_sheets = per_shard(checkpoints, f"{RESULTS}/previews/z{{zoom}}/{{shard}}.jpg")
# The per-zoom status summary depends on every shard's tiles, previews and contact sheet.
get_imagery_outputs = per_zoom(f"{RESULTS}/tiles/z{{zoom}}/status.csv", ZOOMS)

FINAL_OUTPUT_FUNCTIONS.append(get_imagery_outputs)


rule tiles:
    input:
        cells=f"{RESULTS}/grid/z{{zoom}}/cells.parquet",
        polygons=rules.clean_polygons.output.polygons,
    output:
        tiles=directory(f"{RESULTS}/tiles/z{{zoom}}/{{shard}}"),
        status=f"{RESULTS}/tiles/z{{zoom}}/{{shard}}.status.csv",
    params:
        imagery=config["imagery"],
        pixel_size=config["grid"].get("pixel_size_m", 10),
    log:
        f"{LOGS}/tiles/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/tiles/z{{zoom}}/{{shard}}.tsv"
    threads: config["imagery"]["threads"]
    resources:
        mem_mb=config["imagery"]["mem_mb"],
        runtime=config["imagery"]["runtime_min"],
    conda:
        "../../envs/imagery.yaml"
    script:
        "../scripts/tiles_shard.py"


rule previews:
    input:
        status=rules.tiles.output.status,
        tiles=rules.tiles.output.tiles,
    output:
        previews=directory(f"{RESULTS}/previews/z{{zoom}}/{{shard}}"),
        sheet=report(
            f"{RESULTS}/previews/z{{zoom}}/{{shard}}.jpg",
            caption="../report/previews_sheet.rst",
            category="Imagery",
            subcategory="z{zoom}",
            labels={"zoom": "{zoom}", "shard": "{shard}"},
        ),
    params:
        previews=config["imagery"]["previews"],
    log:
        f"{LOGS}/previews/z{{zoom}}/{{shard}}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=20,
    conda:
        "../../envs/imagery.yaml"
    script:
        "../scripts/previews_shard.py"


rule tiles_summary:
    input:
        statuses=get_tile_statuses,
        sheets=get_contact_sheets,
    output:
        status=f"{RESULTS}/tiles/z{{zoom}}/status.csv",
    log:
        f"{LOGS}/tiles_summary/z{{zoom}}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/imagery.yaml"
    script:
        "../scripts/tiles_summary.py"
