# Web map (DESIGN, "report and map"): one offline page, results/map/index.html, of the layers
# in MAP_LAYERS (common.smk) and the training tiles' previews; and its screenshot for the
# report, taken in headless Chromium where one is installed.


rule map_page:
    input:
        unpack(get_map_inputs),
    output:
        page=f"{MAP_DIR}/index.html",
        layers=directory(f"{MAP_DIR}/layers"),
        previews=directory(f"{MAP_DIR}/previews"),
        lib=directory(f"{MAP_DIR}/lib"),
    log:
        f"{LOGS}/map_page.log",
    benchmark:
        f"{BENCHMARKS}/map_page.tsv"
    conda:
        "../../envs/webmap.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        layers=get_map_layers(),
        previews=MAP_PREVIEW_GROUPS,
        title="minescan",
        subtitle=MAP_SUBTITLE,
        simulated=IMAGERY["backend"] == "synthetic",
        thumb_px=int(MAP["thumb_px"]),
        inline_max_mb=float(MAP["inline_max_mb"]),
        regions=MAP_REGIONS,
    script:
        "../scripts/map_page.py"


rule map_screenshot:
    input:
        page=rules.map_page.output.page,
        layers=rules.map_page.output.layers,
        previews=rules.map_page.output.previews,
        lib=rules.map_page.output.lib,
    output:
        report(
            f"{REPORT_DIR}/map.png",
            caption="../report/map_screenshot.rst",
            category="Map",
        ),
    log:
        f"{LOGS}/map_screenshot.log",
    conda:
        "../../envs/webmap.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        layers=get_map_layers(),
    script:
        "../scripts/map_screenshot.py"


# The report's first page (workflow/report/workflow.rst includes it): what ran and the
# headline figure of every stage.
rule report_summary:
    input:
        **get_report_inputs(),
    output:
        f"{REPORT_DIR}/summary.rst",
    log:
        f"{LOGS}/report_summary.log",
    conda:
        "../../envs/webmap.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        facts=get_report_facts(),
    script:
        "../scripts/report_summary.py"
