# minescan: from the MAUS mining polygons to grids, Sentinel-2 tiles, pixel tables and models.
# Stages live in workflow/rules/<stage>.smk, included in data-flow order; all logic lives in
# the `minescan` package.
from pathlib import Path

from snakemake.utils import min_version, validate

from minescan.schema import prepare_config
from minescan.messages import done_message

min_version("9.0")


configfile: "config/config.yaml"


# --config values typed as the schema says, and schema errors in one line naming the key;
# then Snakemake's own validation fills in the defaults.
SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
prepare_config(config, workflow.config_settings.config, SCHEMA)


# The report's first page: what ran, on which data and imagery, the headline figures.
report: "workflow/report/workflow.rst"


validate(config, schema="workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/common_detection_pyramid.smk"
include: "workflow/rules/common_footprints.smk"
include: "workflow/rules/common_growth.smk"
include: "workflow/rules/common_webmap.smk"
include: "workflow/rules/polygons.smk"
include: "workflow/rules/grid.smk"
include: "workflow/rules/imagery.smk"
include: "workflow/rules/pixels.smk"
include: "workflow/rules/pixelmodels.smk"
include: "workflow/rules/probability.smk"
include: "workflow/rules/chips.smk"
include: "workflow/rules/detection.smk"
include: "workflow/rules/pyramid.smk"
include: "workflow/rules/footprints.smk"
include: "workflow/rules/growth.smk"
include: "workflow/rules/webmap.smk"


# Small aggregations run on the submitting host, not as cluster jobs.
localrules:
    all,
    grid,
    imagery,
    pixel_tables,
    pixel_models,
    probabilities,
    real_chips,
    detection,
    tiles_summary,
    previews_index,
    pixels_summary,
    probability_scores,
    probability_export_gee,
    probability_figure,
    detection_cv,
    detection_merge,
    detection_region_out_summary,
    pyramid,
    pyramid_scores,
    pyramid_threshold,
    pyramid_merge,
    pyramid_plan,
    footprints,
    footprints_merge,
    footprints_region_out_summary,
    growth,
    growth_measure,
    growth_figures,
    map,
    map_page,
    map_screenshot,
    report_summary,


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


rule pixel_models:
    input:
        get_models_outputs(),


rule probabilities:
    input:
        get_probability_outputs(),


rule real_chips:
    input:
        get_chips_outputs(),


rule chip_model:
    input:
        get_chip_model_outputs(),


rule detection:
    input:
        get_detection_outputs(),


rule pyramid:
    input:
        get_pyramid_outputs(),


rule footprints:
    input:
        get_footprints_outputs(),


rule growth:
    input:
        get_growth_outputs(),


rule map:
    input:
        get_map_outputs(),


onsuccess:
    print(done_message(RESULTS, LOGS, MAP_DIR))
