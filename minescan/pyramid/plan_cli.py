"""The pyramid planner as a command and as a workflow step.

    python -m minescan.pyramid.plan_cli --region BRA,PER \\
        --polygons ../shared/data/polygons/amazon_mining_watch/mining_*_simplified.geojson \\
        --levels 12 13 14 15 16 --recall 0.98 --false-positive-rate 0.02 [--csv plan.csv]

``--region``: a bounding box (``W S E N``), a polygon file, ISO3 codes (``BRA`` or ``BRA,PER``),
``world`` (all land, 80 S to 84 N) or ``hull`` (the convex hull of the polygons). Several values
of ``--recall`` or ``--false-positive-rate`` plan every combination from one survey; a value may
be one per level, comma-separated, coarsest first (``0.99,0.99,0.99,0.99,0.95``).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from minescan.imagery.backends.gee_cost import CostModel
from minescan.outputs import write_csv, write_json
from minescan.provenance import provenance
from minescan.pyramid.planner import (
    PYRAMID,
    check_levels,
    expected_scans,
    load_polygons,
    meets_goal,
    plan,
    polygons_hull,
    survey,
)
from minescan.schema import load_schema

log = logging.getLogger(__name__)

HULL = "hull"
SCHEMA = Path("workflow/schemas/config.schema.yaml")


def gee_cost_model(
    bands: int, dates: Sequence[str] | None = None, coefficient: float | None = None
) -> CostModel:
    """The Earth Engine cost model with the schema's imagery.gee defaults (high-volume endpoint)
    and its default epoch's window, unless ``dates`` or ``coefficient`` are given."""
    imagery = load_schema(SCHEMA)["properties"]["imagery"]["properties"]
    gee = {k: v["default"] for k, v in imagery["gee"]["properties"].items() if "default" in v}
    if coefficient is not None:
        gee["eecu_seconds_per_million_values"] = coefficient
    window = dates or next(iter(imagery["epochs"]["default"].values()))
    return CostModel.from_imagery({"bands": [None] * bands, "gee": gee}, window)


def with_eecu(table: pd.DataFrame, model: CostModel) -> pd.DataFrame:
    """The plan with ``eecu_hours``: what each level's cells would take on Earth Engine, which
    composites every cell at 10 m whatever its pixel size; a total without a cell size sums its
    scan's levels."""
    table = table.copy()
    px = table["cells"] * (table["cell_size_m"].astype(float) / 10) ** 2
    table["eecu_hours"] = [model.eecu_seconds(p) / 3600 for p in px]
    for i in table.index[table["cell_size_m"].isna()]:
        levels = (table["scan"] == table.at[i, "scan"]) & table["cell_size_m"].notna()
        table.at[i, "eecu_hours"] = table.loc[levels, "eecu_hours"].sum()
    return table


def _resolve_region(region: Any, polygons: gpd.GeoDataFrame | None) -> Any:
    """``hull`` becomes the polygons' convex hull; anything else goes to region_geometry."""
    if isinstance(region, str) and region.strip().lower() == HULL:
        if polygons is None or len(polygons) == 0:
            raise SystemExit("--region hull needs --polygons")
        return polygons_hull(polygons)
    return region


def _read_polygons(polygons: str | Path | Sequence[str | Path] | None) -> gpd.GeoDataFrame | None:
    if not polygons:
        return None
    paths = [polygons] if isinstance(polygons, str | Path) else list(polygons)
    return load_polygons(paths)


def plan_step(
    *,
    region: Any,
    polygons: str | Sequence[str] | None,
    zooms: Sequence[int],
    cell_sizes: Mapping[int, int],
    pixel_sizes: Mapping[int, int],
    bands: int,
    max_cells_per_shard: int,
    shard_block_m: int,
    recall: Any,
    false_positive_rate: Any,
    out_csv: str,
    out_json: str | None = None,
    min_land_fraction: float = 0.5,
) -> pd.DataFrame:
    """The plan of one region and screen quality as CSV (and a JSON summary with provenance)."""
    cell_sizes = {int(z): int(s) for z, s in cell_sizes.items()}
    pixel_sizes = {int(z): int(s) for z, s in pixel_sizes.items()}
    clean = _read_polygons(polygons)
    table = plan(
        _resolve_region(region, clean),
        clean,
        zooms,
        cell_sizes,
        pixel_sizes,
        bands,
        max_cells_per_shard,
        shard_block_m,
        recall,
        false_positive_rate,
        min_land_fraction,
    )
    write_csv(table, out_csv)
    params = {
        "region": region,
        "zooms": list(zooms),
        "cell_sizes": cell_sizes,
        "pixel_sizes": pixel_sizes,
        "bands": bands,
        "max_cells_per_shard": max_cells_per_shard,
        "shard_block_m": shard_block_m,
        "recall": recall,
        "false_positive_rate": false_positive_rate,
        "min_land_fraction": min_land_fraction,
    }
    goal = meets_goal(table)
    log.info("plan: %s", goal)
    if out_json:
        inputs = {}
        if polygons:
            paths = [polygons] if isinstance(polygons, str) else list(polygons)
            inputs = {f"polygons_{n}": p for n, p in enumerate(paths)}
        write_json({"survey": table.attrs, "goal": goal}, out_json, provenance(params, inputs))
    return table


def _quality(text: str) -> float | list[float]:
    values = [float(v) for v in text.split(",") if v.strip()]
    return values[0] if len(values) == 1 else values


def _human(value: float, unit: str = "") -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {prefix}{unit}"
    return f"{value:.0f} {unit}".strip()


def format_table(table: pd.DataFrame) -> str:
    """The plan as a fixed-width text table for people."""
    shown = pd.DataFrame(
        {
            "scan": table["scan"],
            "level": table["level"],
            "cell m": table["cell_size_m"].astype("string").fillna(""),
            "px m": table["pixel_size_m"].astype("string").fillna(""),
            "cells": table["cells"].map(lambda v: f"{v:,.0f}"),
            "mine cells": table["mine_cells"].map(lambda v: f"{v:,.0f}"),
            "kept": table["kept"].map(lambda v: f"{v:,.0f}"),
            "shards": table["shards"].map(lambda v: f"{v:,.0f}"),
            "jobs": table["jobs"].map(lambda v: f"{v:,.0f}"),
            "pixels": table["pixels"].map(_human),
            "bytes": table["bytes"].map(lambda v: _human(v, "B")),
            "px frac": table["pixel_fraction"].map(lambda v: f"{v:.2%}"),
            "EECU-h": table["eecu_hours"].map(lambda v: f"{v:,.1f}"),
            "area scored": table["area_recall_scored"].map(lambda v: f"{v:.2%}"),
            "area kept": table["area_recall_kept"].map(lambda v: f"{v:.2%}"),
            "basis": table["basis"],
        }
    )
    return shown.to_string(index=False)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m minescan.pyramid.plan_cli", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--region", nargs="+", required=True, help="W S E N | file | ISO3 | world | hull"
    )
    parser.add_argument("--polygons", nargs="*", default=[], help="mining polygon files")
    parser.add_argument("--levels", nargs="+", type=int, default=[12, 13, 14, 15, 16])
    parser.add_argument(
        "--cell-size-m", type=int, default=1280, help="cell side at the finest level (doubles up)"
    )
    parser.add_argument(
        "--pixel-size-m",
        type=int,
        nargs="+",
        default=[10],
        help="pixel size at the finest level (doubles up), or one per level, coarsest first",
    )
    parser.add_argument("--bands", type=int, default=11, help="spectral bands per tile")
    parser.add_argument("--max-cells-per-shard", type=int, default=256)
    parser.add_argument("--shard-block-m", type=int, default=327680)
    parser.add_argument("--recall", nargs="+", type=_quality, default=[0.98])
    parser.add_argument("--false-positive-rate", nargs="+", type=_quality, default=[0.02])
    parser.add_argument("--min-land-fraction", type=float, default=0.5)
    parser.add_argument(
        "--sample-cells",
        type=int,
        default=3000,
        help="coarse cells on coasts and edges walked down exactly at most; more are sampled",
    )
    parser.add_argument(
        "--dates",
        nargs=2,
        help="the composite's window, for the Earth Engine estimate (EECU-h; default: the "
        "schema's default epoch)",
    )
    parser.add_argument(
        "--eecu-seconds-per-million-values",
        type=float,
        help="the Earth Engine estimate's coefficient (default: imagery.gee's in the schema)",
    )
    parser.add_argument("--csv", type=Path, help="write every plan's table here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    levels = sorted(args.levels)
    finest = levels[-1]
    cell_sizes = {z: args.cell_size_m << (finest - z) for z in levels}
    if len(args.pixel_size_m) == 1:
        pixel_sizes = {z: args.pixel_size_m[0] << (finest - z) for z in levels}
    elif len(args.pixel_size_m) == len(levels):
        pixel_sizes = dict(zip(levels, args.pixel_size_m, strict=True))
    else:
        parser.error("--pixel-size-m takes one value (the finest level's) or one per level")
    zooms = check_levels(levels, cell_sizes, pixel_sizes)

    started = time.perf_counter()
    clean = _read_polygons(args.polygons)
    read_s = time.perf_counter() - started
    values = args.region
    if len(values) == 4 and all(_is_number(v) for v in values):
        region: Any = [float(v) for v in values]
    else:
        region = _resolve_region(",".join(values), clean)
    surveyed = survey(
        region,
        clean,
        zooms,
        cell_sizes,
        args.max_cells_per_shard,
        args.shard_block_m,
        args.min_land_fraction,
        args.sample_cells,
    )
    cost = gee_cost_model(args.bands, args.dates, args.eecu_seconds_per_million_values)
    tables = []
    for recall, fpr in itertools.product(args.recall, args.false_positive_rate):
        table = expected_scans(surveyed, pixel_sizes, args.bands, recall, fpr)
        tables.append(with_eecu(table, cost))
    elapsed = time.perf_counter() - started

    info = surveyed.info
    print(f"region: {' '.join(values)}; levels z{zooms[0]}..z{zooms[-1]}")
    print(
        f"polygons: {info['polygons']:,} after cleaning; mining area in the region's cells "
        f"{tables[0].attrs['mining_area_km2']:,.0f} km2, on land cells "
        f"{tables[0].attrs['mining_area_on_land_km2']:,.0f} km2"
    )
    print(
        f"coarse cells with land {info['coarse_cells_with_land']:,}; on coasts and edges "
        f"{info['mixed_coarse_cells']:,}, walked down exactly {info['mixed_coarse_cells_walked']:,}"
    )
    print(f"wall time: {elapsed:.1f} s (reading and cleaning polygons {read_s:.1f} s)\n")
    print(f"recall {args.recall[0]}, false-positive rate {args.false_positive_rate[0]} per level:")
    print(format_table(tables[0]))
    print(
        f"EECU-h: Earth Engine estimate, {cost.seconds_per_million_values:g} EECU-seconds per "
        f"million values, {cost.images} images, {cost.endpoint} endpoint (docs/imagery.md)"
    )
    print("\nper screen quality: pyramid total vs the exhaustive finest level")
    rows = []
    for table in tables:
        pyramid = table[table["scan"] == PYRAMID]
        goal = meets_goal(table)
        rows.append(
            {
                "recall": _label(pyramid["recall"].iloc[:-1]),
                "fpr": _label(pyramid["false_positive_rate"].iloc[:-1]),
                "px frac": f"{goal['pixel_fraction']:.2%}",
                "jobs": f"{pyramid['jobs'].iloc[-1]:,.0f}",
                "area reaching finest": f"{goal['area_recall_reaching_finest']:.2%}",
                "after finest screen": f"{goal['area_recall_after_finest_screen']:.2%}",
                "goal (>=95%, <=10%)": "yes" if goal["goal"] else "no",
                "strict": "yes" if goal["strict"] else "no",
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))
    if args.csv:
        write_csv(pd.concat(tables, ignore_index=True), args.csv)
        print(f"\nwrote {args.csv}")


def _label(values: pd.Series) -> str:
    unique = pd.unique(values)
    return f"{unique[0]:g}" if len(unique) == 1 else ",".join(f"{v:g}" for v in values)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    main()
