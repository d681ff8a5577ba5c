"""End to end: the embedded configuration through Snakemake, in a temporary copy.

One demo run (the session's, tests/e2e/conftest.py, shared with the map and report test)
is checked stage by stage against ``tests/golden/demo.json`` (rewrite it with
``MINESCAN_UPDATE_GOLDEN=1 pytest tests/e2e``), then used to show that only real changes
rerun jobs. The last tests use fresh copies for bad input.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
import yaml
from run_summary import differences, gee_export_error, summarise_run
from workflow_copy import REPO
from workflow_copy import copy_workflow as _copy_workflow
from workflow_copy import run_snakemake as _snakemake

GOLDEN = REPO / "tests" / "golden" / "demo.json"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _config(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "config" / "config.yaml").read_text())


def _planned_jobs(workdir: Path, config: dict) -> dict[str, int]:
    """Jobs a dry run would run, by rule, had config.yaml been rewritten as ``config``
    (params and mtime trigger reruns)."""
    path = workdir / "config" / "config.yaml"
    original = path.read_text()
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        run = _snakemake(workdir, "-n", "--rerun-triggers", "params", "mtime")
    finally:
        path.write_text(original)
    assert run.returncode == 0, run.stderr[-3000:]
    output = run.stdout + run.stderr
    if "Nothing to be done" in output:
        return {}
    table = output.split("Job stats:")[1].split("total")[0]
    rows = [line.split() for line in table.splitlines()[3:] if line.strip()]
    return {name: int(count) for name, count in rows}


def test_every_stage_matches_the_golden_summary(demo):
    summary = summarise_run(demo, _config(demo))
    if os.environ.get("MINESCAN_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    if "chips" in golden and "chips" not in summary:
        golden.pop("chips")  # the real chips live in ../shared/data, absent on some machines
    assert differences(summary, golden) == []


def test_grid_products_agree_with_each_other(demo):
    for zoom in _config(demo)["grid"]["zoom_levels"]:
        folder = demo / "results" / "grid" / f"z{zoom}"
        cells = gpd.read_parquet(folder / "cells.parquet")
        assert set(cells["label"]) == {"positive", "negative"}
        gpkg = gpd.read_file(folder / "cells.gpkg")
        assert len(gpkg) == len(cells) and gpkg.crs.to_epsg() == 4326
        locations = pd.read_csv(folder / "locations.csv")
        assert list(locations["name"]) == list(cells["name"])
        shards = pd.read_csv(folder / "shards.csv")
        assert shards["n_cells"].sum() == len(cells)


def test_every_tile_is_a_valid_cloud_optimized_geotiff(demo):
    from rio_cogeo.cogeo import cog_validate

    tiles = sorted((demo / "results" / "tiles").glob("*/*/z*/*/*.tif"))
    assert tiles
    invalid = [str(t) for t in tiles if not cog_validate(str(t), quiet=True)[0]]
    assert invalid == []


def test_the_same_config_twice_gives_identical_tables_and_tiles(demo, tmp_path):
    """A second run of the grid, the tiles of one shard and its pixel table in a fresh copy:
    byte-identical tables, and tiles with the same pixels and tags."""
    workdir = _copy_workflow(tmp_path / "minescan")
    epoch = _config(workdir)["imagery"]["epoch"]
    zoom = max(_config(workdir)["grid"]["zoom_levels"])
    shard = pd.read_csv(demo / "results" / "grid" / f"z{zoom}" / "shards.csv")["shard"].iloc[0]
    tables = [
        f"results/grid/z{zoom}/cells.parquet",
        f"results/grid/z{zoom}/locations.csv",
        f"results/tiles/training/{epoch}/z{zoom}/{shard}.status.csv",
        f"results/pixels/z{zoom}/{shard}.parquet",
    ]
    run = _snakemake(workdir, *tables)
    assert run.returncode == 0, run.stderr[-3000:]
    for table in tables:
        assert (workdir / table).read_bytes() == (demo / table).read_bytes(), table
    ours = workdir / "results" / "tiles" / "training" / epoch / f"z{zoom}" / shard
    for tile in sorted(ours.glob("*.tif")):
        reference = demo / tile.relative_to(workdir)
        with rasterio.open(tile) as a, rasterio.open(reference) as b:
            assert (a.read() == b.read()).all() and a.tags() == b.tags()


def test_earth_engine_export_computes_the_models_probability(demo):
    config = _config(demo)
    zoom = config["models"]["zoom"] or max(config["grid"]["zoom_levels"])
    assert gee_export_error(demo / "results", zoom, config["models"]["deploy"]) < 1e-6


def test_pyramid_levels_have_coarser_pixels_and_the_same_pixel_count(demo):
    config = _config(demo)
    zooms = config["pyramid"]["levels"]
    widths, pixels = set(), []
    for zoom in zooms:
        tiles = list((demo / "results" / "tiles" / "pyramid").glob(f"*/z{zoom}/*/*.tif"))
        assert tiles, f"no tiles at pyramid level {zoom}"
        with rasterio.open(tiles[0]) as src:
            widths.add(src.width)
            pixels.append(src.res[0])
    assert len(widths) == 1  # every level's tiles are 128 x 128 px
    assert pixels == [10 * 2 ** (zooms[-1] - z) for z in zooms]


def test_report_collects_every_stage(demo):
    run = _snakemake(demo, "--report", "report.html")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ERROR/3" not in run.stderr  # a caption that does not render
    html = (demo / "report.html").read_text()
    for category in ("Grid", "Imagery", "Pixel models", "Pyramid"):
        assert f'"{category}"' in html
    assert html.count("map.png") >= len(_config(demo)["grid"]["zoom_levels"])


def test_rerun_is_a_no_op(demo):
    assert _planned_jobs(demo, _config(demo)) == {}


def test_resources_threads_and_unused_backends_rerun_nothing(demo):
    config = _config(demo)
    changed = copy.deepcopy(config)
    changed["imagery"].update(threads=1, mem_mb=9000, runtime_min=7)
    changed["pixels"].update(mem_mb=9000, runtime_min=7)
    changed["chips"]["cnn"].update(threads=2, mem_mb=9000, runtime_min=7)
    changed["imagery"]["stac"]["max_items"] = 3  # a backend the run does not use
    changed["imagery"]["gee"]["retries"] = 1
    changed["imagery"]["local"]["path"] = "/elsewhere"
    assert _planned_jobs(demo, changed) == {}


def test_a_preview_tint_reruns_only_the_previews(demo):
    changed = _config(demo)
    changed["imagery"]["previews"]["alpha"] = 0.7
    planned = _planned_jobs(demo, changed)
    # the map draws the previews: its page, screenshot and the report's first page follow
    map_rules = {"map_page", "map_screenshot", "report_summary"}
    assert planned and set(planned) <= {"previews", "previews_index", *map_rules, "all"}


def test_config_key_order_does_not_matter(demo):
    def reverse(value):
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        return value

    assert _planned_jobs(demo, reverse(_config(demo))) == {}


def test_a_change_of_what_pixels_depend_on_refetches_tiles(demo):
    changed = _config(demo)
    changed["imagery"]["synthetic"]["noise"] = 0.05
    planned = _planned_jobs(demo, changed)
    assert planned.get("tiles", 0) >= len(_config(demo)["grid"]["zoom_levels"])


def test_one_zoom_level_can_be_rebuilt_alone(demo):
    target = "results/grid/z15/cells.parquet"
    again = _snakemake(demo, target, "--forcerun", "grid_cells")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "grid_cells" in again.stderr
    assert "zoom=14" not in again.stderr and "zoom=16" not in again.stderr


def test_a_shard_killed_midway_fetches_only_what_it_lacks(demo, tmp_path):
    """kill -9 of a tiles job in the middle of a shard; the rerun takes the tiles already in
    the tile store, fetches the rest, and ends with the tiles of an uninterrupted run."""
    workdir = _copy_workflow(tmp_path / "minescan")
    epoch = _config(workdir)["imagery"]["epoch"]
    zoom = min(_config(workdir)["grid"]["zoom_levels"])  # the largest tiles: the slowest shard
    shards = pd.read_csv(demo / "results" / "grid" / f"z{zoom}" / "shards.csv")
    shard = shards.sort_values("n_cells")["shard"].iloc[-1]
    target = f"results/tiles/training/{epoch}/z{zoom}/{shard}.status.csv"
    command = [sys.executable, "-m", "snakemake", "--cores", "2", target]
    job = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    store = workdir / "results" / "cache" / "tiles"
    deadline = time.monotonic() + 300
    while len(list(store.glob("*/*.json"))) < 3 and job.poll() is None:
        assert time.monotonic() < deadline, "no tile reached the store"
        time.sleep(0.2)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    kept = len(list(store.glob("*/*.json")))
    assert 0 < kept < int(shards.set_index("shard").loc[shard, "n_cells"])
    assert _snakemake(workdir, "--unlock").returncode == 0
    rerun = _snakemake(workdir, target, "--rerun-incomplete")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = workdir / "results" / "logs" / "tiles" / "training" / epoch / f"z{zoom}" / f"{shard}.log"
    reused = int(re.search(r"(\d+) from the tile store", log.read_text()).group(1))
    assert reused >= kept
    ours = workdir / "results" / "tiles" / "training" / epoch / f"z{zoom}" / shard
    reference = demo / "results" / "tiles" / "training" / epoch / f"z{zoom}" / shard
    assert sorted(p.name for p in ours.glob("*.tif")) == sorted(
        p.name for p in reference.glob("*.tif")
    )
    for tile in sorted(ours.glob("*.tif")):
        with rasterio.open(tile) as a, rasterio.open(reference / tile.name) as b:
            assert (a.read() == b.read()).all() and a.tags() == b.tags()


def test_bad_polygons_fail_clearly_and_write_nothing(tmp_path):
    workdir = _copy_workflow(tmp_path / "minescan")
    bad = workdir / "resources" / "points.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
        ' "geometry": {"type": "Point", "coordinates": [117.0, -0.5]}}]}'
    )
    config = _config(workdir)
    config["polygons"]["path"] = "resources/points.geojson"
    (workdir / "config" / "bad.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "grid", "--configfile", "config/bad.yaml")
    assert run.returncode != 0
    # Checked while the workflow is parsed: the message names the file and row, no job runs.
    assert "resources/points.geojson: row 0 (feature order from 0) is Point, not polygons" in (
        run.stderr
    )
    assert not (workdir / "results").exists()


def test_config_outside_schema_stops_before_any_job(tmp_path):
    workdir = _copy_workflow(tmp_path / "minescan")
    config = _config(workdir)
    # The seed's 2750 m at the first zoom (its "zoom 15"): 1375 m at zoom 16, not 10 m pixels.
    config["grid"]["cell_size_m"] = 2750
    (workdir / "config" / "seed_sizes.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "--configfile", "config/seed_sizes.yaml")
    assert run.returncode != 0
    assert "not a multiple of grid.pixel_size_m" in run.stderr
    assert not (workdir / "results").exists()


def test_an_unknown_epoch_stops_before_any_job(tmp_path):
    workdir = _copy_workflow(tmp_path / "minescan")
    config = _config(workdir)
    config["imagery"]["epoch"] = "2031"
    (workdir / "config" / "epoch.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "--configfile", "config/epoch.yaml")
    assert run.returncode != 0
    assert "imagery.epoch '2031' is not a key of imagery.epochs" in run.stderr
    assert not (workdir / "results").exists()


def test_local_weights_run_a_zero_shot_round_and_start_the_training(demo):
    """The demo's own trained detector stands in for weights a user downloaded."""
    config = _config(demo)
    zoom = config["detection"]["zooms"][0]
    downloaded = demo / "downloaded" / "yolo_local.pt"
    downloaded.parent.mkdir(exist_ok=True)
    shutil.copy2(
        demo / "results" / "detection" / f"z{zoom}" / "train" / "final" / "weights.pt", downloaded
    )
    weights = ["--config", f"detection={{weights: {downloaded.relative_to(demo)}}}"]
    target = f"results/detection/z{zoom}/zero_shot/metrics.json"
    run = _snakemake(demo, target, *weights)
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((demo / target).read_text())
    assert metrics["split"] == "val" and metrics["weights"].endswith("yolo_local.pt")
    plan = _snakemake(demo, "-n", "detection", *weights)
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert "rule detection_train:" in plan.stdout + plan.stderr  # training now starts from them


def test_missing_detection_weights_stop_before_any_job(tmp_path):
    workdir = _copy_workflow(tmp_path / "minescan")
    run = _snakemake(workdir, "--config", "detection={weights: absent/yolo11n.pt}")
    assert run.returncode != 0
    assert "detection.weights absent/yolo11n.pt does not exist" in run.stderr
    assert not (workdir / "results").exists()


def _pyramid_summary(workdir: Path) -> pd.DataFrame:
    return pd.read_csv(workdir / "results" / "pyramid" / "summary.csv").set_index("scan")


def test_pyramid_finds_the_mine_area_with_a_tenth_of_the_pixels(demo):
    """The issue's goal on the embedded sample (SIMULATED imagery over real polygons)."""
    summary = _pyramid_summary(demo)
    total = summary.loc["pyramid total"]
    assert total["pixel_fraction_of_exhaustive"] <= 0.10
    assert total["area_recall_scored"] >= 0.95
    exhaustive = summary.loc["exhaustive"]
    assert exhaustive["pixels"] > 10 * total["pixels"] * 0.99
    levels = summary.loc[["pyramid"]]
    # each level scores the four children of the cells the level above kept, in the region
    kept_above = levels["cells_kept"].to_numpy()[:-1]
    assert (levels["cells_scored"].to_numpy()[1:] <= 4 * kept_above).all()
    assert (levels["cells_kept"] <= levels["cells_scored"]).all()


def test_the_curve_replays_the_scan_and_trades_recall_for_pixels(demo):
    config = _config(demo)
    curve = pd.read_csv(demo / "results" / "pyramid" / "curve.csv").set_index("target_recall")
    assert list(curve.index) == sorted(config["pyramid"]["curve_targets"])
    assert curve["pixels"].is_monotonic_increasing
    assert curve["area_recall"].is_monotonic_increasing
    # the replay at the configured target is the scan that ran
    total = _pyramid_summary(demo).loc["pyramid total"]
    at_target = curve.loc[config["pyramid"]["target_recall"]]
    assert at_target["pixels"] == total["pixels"]
    assert at_target["area_recall"] == pytest.approx(total["area_recall_scored"])


def test_the_exhaustive_scan_scores_cells_as_the_tiled_scan_does(demo):
    """The exhaustive comparison streams its cells; where both scans score a cell (the first
    level), the scores are identical."""
    first = _config(demo)["pyramid"]["levels"][0]
    screen = demo / "results" / "pyramid" / "screen"
    streamed = pd.read_parquet(screen / "region" / f"z{first}" / "scores.parquet")
    tiled = pd.read_parquet(screen / "pyramid" / f"z{first}" / "scores.parquet")
    columns = ["cell_id", "valid_pixels", "max_probability", "p99_probability", "mine_fraction"]
    a = streamed[columns].sort_values("cell_id", ignore_index=True)
    b = tiled[columns].sort_values("cell_id", ignore_index=True)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)


def test_the_scan_result_opens_as_one_geopackage(demo):
    config = _config(demo)
    path = demo / "results" / "pyramid" / "scan.gpkg"
    cells = gpd.read_file(path, layer="cells")
    assert sorted(cells["zoom"].unique()) == config["pyramid"]["levels"]
    assert cells.crs.to_epsg() == 4326 and {"screen_score", "threshold", "kept"} <= set(cells)
    detections = gpd.read_file(path, layer="detections")
    finest = set(cells.loc[cells["zoom"] == config["pyramid"]["levels"][-1], "cell_id"])
    assert set(detections["cell_id"]) <= finest


def test_a_stricter_threshold_fetches_no_tile_again(demo, tmp_path):
    """Rerunning the scan with another recall target reuses every tile already fetched."""
    workdir = tmp_path / "minescan"
    shutil.copytree(
        demo,
        workdir,
        symlinks=True,
        copy_function=os.link,
        ignore=shutil.ignore_patterns(".snakemake"),
    )
    shutil.copytree(demo / ".snakemake", workdir / ".snakemake", symlinks=True)
    shutil.rmtree(workdir / "results" / "logs")  # only the rerun's logs
    config = _config(workdir)
    config["pyramid"]["target_recall"] = 0.9
    (workdir / "config" / "stricter.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "pyramid", "--configfile", "config/stricter.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "rule pyramid_threshold" in run.stderr
    logs = list((workdir / "results" / "logs" / "tiles" / "pyramid").rglob("*.log"))
    fetched = [int(m) for log in logs for m in re.findall(r"(\d+) to fetch", log.read_text())]
    assert fetched and sum(fetched) == 0
    before = _pyramid_summary(demo).loc["pyramid total", "pixels"]
    assert _pyramid_summary(workdir).loc["pyramid total", "pixels"] <= before


def test_a_level_fewer_or_more_reruns_only_the_scan_summaries(demo):
    """A level's pixel size depends on its zoom alone: dropping (or adding back) the finest
    level leaves every other level's tiles, screens and thresholds as they are."""
    before = _planned_jobs(demo, _config(demo))  # what earlier tests left to do, if anything
    changed = _config(demo)
    changed["pyramid"].update(levels=changed["pyramid"]["levels"][:-1], detect=False)
    planned = _planned_jobs(demo, changed)
    more = {rule for rule, count in planned.items() if count > before.get(rule, 0)}
    assert "pyramid_report" in more
    map_rules = {"map_page", "map_screenshot", "report_summary"}  # one layer fewer on the map
    assert more <= {"pyramid_merge", "pyramid_plan", "pyramid_report", *map_rules, "all"}


@pytest.mark.parametrize(
    ("pyramid", "message"),
    [
        ({"region": [-30.0, -10.0, -29.5, -9.5]}, "no land cell"),
        ({"region": [110.0, -5.0, 120.0, 5.0], "max_jobs": 100}, "pyramid.max_jobs"),
        ({"levels": [13, 15, 16]}, "consecutive"),
        ({"screen": "cnn"}, "does not train"),
        ({"levels": [13, 14, 15]}, "no trained detector"),
    ],
)
def test_a_bad_pyramid_stops_before_any_job(tmp_path, pyramid, message):
    workdir = _copy_workflow(tmp_path / "minescan")
    config = _config(workdir)
    config["pyramid"].update(pyramid)
    (workdir / "config" / "bad_pyramid.yaml").write_text(yaml.safe_dump(config))
    run = _snakemake(workdir, "--configfile", "config/bad_pyramid.yaml")
    assert run.returncode != 0
    assert message in run.stderr
    assert not (workdir / "results").exists()
