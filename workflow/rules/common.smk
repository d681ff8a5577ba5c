# Shared helpers: cross-key config checks, wildcard constraints, target lists.
from minescan.config import check_config

check_config(config)

ZOOMS = [int(z) for z in config["grid"]["zoom_levels"]]
RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"


wildcard_constraints:
    zoom=r"\d+",
    shard=r"[0-9A-Za-z_-]+",


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


def get_scan_outputs():
    """Scan-mode cells, when a scan region is configured."""
    if config["scan"].get("region") is None:
        return []
    return [f"{RESULTS}/scan/z{config['scan']['zoom']}/cells.parquet"]


# Each stage file appends a function returning its final targets; `rule all` asks for them all.
FINAL_OUTPUT_FUNCTIONS = [get_grid_outputs, get_scan_outputs]


def get_final_outputs():
    return [path for function in FINAL_OUTPUT_FUNCTIONS for path in function()]
