# minescan: from the MAUS mining polygons to grids, Sentinel-2 tiles, pixel tables and models.
# Stages live in workflow/rules/<stage>.smk; all logic lives in the `minescan` package.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, schema="workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/grid.smk"
include: "workflow/rules/imagery.smk"
include: "workflow/rules/pixels.smk"
include: "workflow/rules/models.smk"


# Small aggregations run on the submitting host, not as cluster jobs.
localrules:
    all,
    grid,
    imagery,
    pixel_tables,
    models,
    tiles_summary,
    pixels_summary,
    models_export_gee,


rule all:
    default_target: True
    input:
        get_final_outputs(),


rule grid:
    input:
        get_grid_outputs(),


rule imagery:
    input:
        get_imagery_outputs(),


rule pixel_tables:
    input:
        get_pixels_outputs(),


rule models:
    input:
        get_models_outputs(),
