# Imagery stage: per shard of a cell set, one Cloud-Optimized
# GeoTIFF per cell (Sentinel-2 bands of one date window + the _mine band) and a status table;
# RGB previews and a contact sheet per shard. Tiles serve any cell set, pixel size and epoch:
#   results/tiles/{cellset}/{epoch}/z{zoom}/{shard}/<cell_id>.tif
# linked from the tile store results/cache/tiles/, which a rerun of a killed or failed shard
# takes its finished tiles from.


rule tiles:
    input:
        cells=get_tile_cells,
        polygons=get_tile_polygons,
    output:
        tiles=directory(f"{TILES}/{{shard}}"),
        status=f"{TILES}/{{shard}}.status.csv",
    log:
        f"{LOGS}/tiles/{{cellset}}/{{epoch}}/z{{zoom}}/{{shard}}.log",
    benchmark:
        f"{BENCHMARKS}/tiles/{{cellset}}/{{epoch}}/z{{zoom}}/{{shard}}.tsv"
    # every later stage waits on tiles
    priority: 5
    conda:
        "../../envs/imagery.yaml"
    threads: IMAGERY["threads"]
    resources:
        mem_mb=get_tile_mem_mb,
        runtime=IMAGERY["runtime_min"],
        earthengine_requests=ee_requests_per_job(IMAGERY),
    params:
        request=get_tile_request,
        pixel_size=get_tile_pixel_size,
        fetch=fetch_settings(IMAGERY),
        store_dir=f"{RESULTS}/cache/tiles",
    script:
        "../scripts/tiles.py"


rule tiles_summary:
    input:
        statuses=per_shard(f"{TILES}/{{shard}}.status.csv"),
    output:
        status=f"{TILES}/status.csv",
    log:
        f"{LOGS}/tiles_summary/{{cellset}}/{{epoch}}/z{{zoom}}.log",
    conda:
        "../../envs/imagery.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/tiles_summary.py"


rule previews:
    input:
        status=rules.tiles.output.status,
        tiles=rules.tiles.output.tiles,
    output:
        previews=directory(f"{PREVIEWS}/{{shard}}"),
        sheet=report(
            f"{PREVIEWS}/{{shard}}.jpg",
            caption="../report/previews_sheet.rst",
            category="Imagery",
            subcategory="{cellset} {epoch} z{zoom}",
            labels={
                "cells": "{cellset}",
                "epoch": "{epoch}",
                "zoom": "{zoom}",
                "shard": "{shard}",
            },
        ),
    log:
        f"{LOGS}/previews/{{cellset}}/{{epoch}}/z{{zoom}}/{{shard}}.log",
    conda:
        "../../envs/imagery.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        percentiles=IMAGERY["previews"]["percentiles"],
        alpha=IMAGERY["previews"]["alpha"],
        thumb_px=IMAGERY["previews"]["thumb_px"],
        columns=IMAGERY["previews"]["columns"],
    script:
        "../scripts/previews.py"


rule previews_index:
    input:
        sheets=per_shard(f"{PREVIEWS}/{{shard}}.jpg"),
    output:
        index=f"{PREVIEWS}/sheets.csv",
    log:
        f"{LOGS}/previews_index/{{cellset}}/{{epoch}}/z{{zoom}}.log",
    conda:
        "../../envs/imagery.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/previews_index.py"
