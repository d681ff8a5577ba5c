"""STAC backend end to end against a STAC API on loopback whose items point to COGs cut from the
real Virginia Sentinel-2 scene: search, HTTP range reads through GDAL, SCL cloud mask, the
processing-baseline 04.00 offset, the median composite; and an unreachable service."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.imagery import VIRGINIA, cell_row, needs_sentinel2, virginia_rows, write_cells
from fixtures.imagery import rectangle_polygons as write_rectangles
from fixtures.stac_server import StacServer
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from minescan.cells import cell_from_row
from minescan.imagery.backends.stac import StacBackend, baseline_offset
from minescan.imagery.errors import ImageryServiceError
from minescan.imagery.tiles import make_shard_tiles

pytest.importorskip("odc.stac")
pytest.importorskip("pystac_client")

ASSETS = {"B2": "blue", "B4": "red", "B5": "rededge1", "B11": "swir16"}
FILES = {"B2": "s2_B02.tif", "B4": "s2_B04.tif", "B5": "s2_B05.tif", "B11": "s2_B11.tif"}
# A 2.56 km window of the scene around the test cell (the 10 m grid origin of the band files).
X0, Y0, SIZE = 439680.0, 4170320.0, 2560.0
CLOUD = (slice(0, 100), slice(0, 120))  # the cloudy rows/cols of the June scene, at 10 m


def cut(band: str, res: int) -> np.ndarray:
    with rasterio.open(VIRGINIA / FILES[band]) as src:
        col, row = ~src.transform * (X0, Y0)
        window = Window(round(col), round(row), int(SIZE // res), int(SIZE // res))
        return src.read(1, window=window)


def write_cog(path, data, res: int) -> dict:
    transform = rasterio.transform.from_origin(X0, Y0, res, res)
    profile = {
        "driver": "COG",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": "EPSG:32618",
        "transform": transform,
        "nodata": 0,
        "blocksize": 128,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return {
        "proj:shape": list(data.shape),
        "proj:transform": list(transform)[:6],
        "proj:epsg": 32618,
        "raster:bands": [{"data_type": data.dtype.name, "nodata": 0}],
    }


def make_item(server: StacServer, item_id: str, date: str, baseline: str, offset: int, cloudy):
    west, south, east, north = transform_bounds(
        "EPSG:32618", "EPSG:4326", X0, Y0 - SIZE, X0 + SIZE, Y0
    )
    assets = {}
    for band, name in ASSETS.items():
        res = 10 if band in ("B2", "B4") else 20
        data = cut(band, res).astype(np.uint16) + offset
        if cloudy:  # bright cloud over the first CLOUD rows and columns (at 10 m)
            k = res // 10
            data[: CLOUD[0].stop // k, : CLOUD[1].stop // k] = 9000
        meta = write_cog(server.root / f"{item_id}_{name}.tif", data, res)
        assets[name] = {
            "href": f"{server.url}/data/{item_id}_{name}.tif",
            "roles": ["data"],
            **meta,
        }
    scl = np.full((int(SIZE // 20),) * 2, 4, dtype=np.uint8)  # vegetation
    if cloudy:
        scl[: CLOUD[0].stop // 2, : CLOUD[1].stop // 2] = 9  # cloud high probability
    meta = write_cog(server.root / f"{item_id}_scl.tif", scl, 20)
    assets["scl"] = {"href": f"{server.url}/data/{item_id}_scl.tif", "roles": ["data"], **meta}
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
        ],
        "id": item_id,
        "collection": "sentinel-2-l2a",
        "bbox": [west, south, east, north],
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[west, south], [east, south], [east, north], [west, north], [west, south]]
            ],
        },
        "properties": {
            "datetime": f"{date}T15:50:00Z",
            "eo:cloud_cover": 30.0 if cloudy else 1.0,
            "s2:processing_baseline": baseline,
            "proj:epsg": 32618,
        },
        "assets": assets,
        "links": [],
    }


@pytest.fixture(scope="module")
def stac(tmp_path_factory):
    root = tmp_path_factory.mktemp("stac")
    with StacServer(root) as server:
        server.items = [
            # A clear 2019 scene processed with baseline 04.00: digital numbers carry +1000.
            make_item(server, "S2A_20190301", "2019-03-01", "04.00", 1000, cloudy=False),
            # A June scene of the old baseline with a cloud (SCL 9, bright 9000 values).
            make_item(server, "S2B_20190601", "2019-06-01", "02.12", 0, cloudy=True),
            # Outside the configured dates: must not be used.
            make_item(server, "S2A_20200601", "2020-06-01", "02.14", 3000, cloudy=False),
        ]
        yield server


def backend(url: str, **options) -> StacBackend:
    imagery = {
        "backend": "stac",
        "bands": list(ASSETS),
        "dates": ["2019-01-01", "2020-01-01"],
        "stac": {
            "provider": "custom",  # the generic offset rule: by baseline, unless flagged
            "url": url,
            "collection": "sentinel-2-l2a",
            "retries": 2,
            "backoff_s": 0.01,
            **options,
        },
    }
    return StacBackend.from_config(imagery)


@pytest.mark.slow
@needs_sentinel2
def test_composite_is_the_real_reflectance_with_clouds_and_offset_removed(stac, tmp_path):
    row = cell_row(32618, 440000, 4170000, 1280)
    cell = cell_from_row(row)
    image = backend(stac.url).fetch(cell, None)
    assert image.data.shape == (4, 128, 128) and image.valid.all()
    assert image.tags["n_items"] == "2" and "S2A_20200601" not in image.tags["items"]
    # The cell sits 32 px right and 32 px down of the served window's corner.
    for i, band in enumerate(ASSETS):
        res = 10 if band in ("B2", "B4") else 20
        real = np.repeat(np.repeat(cut(band, res), res // 10, 0), res // 10, 1)[32:160, 32:160]
        assert np.array_equal(image.data[i], real), band  # cloud masked, offset removed
    assert stac.range_requests > 0  # GDAL read the COGs with HTTP range requests


@pytest.mark.slow
@needs_sentinel2
def test_shard_through_stac_records_uncovered_cells(stac, tmp_path):
    rows = [cell_row(32618, 440000, 4170000, 1280), virginia_rows()[1]]  # the second is outside
    status = make_shard_tiles(
        cells=write_cells(tmp_path, rows),
        polygons=write_rectangles(tmp_path, 32618, [(440300, 4169000, 440900, 4169700)]),
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery={
            "backend": "stac",
            "bands": list(ASSETS),
            "stac": {"provider": "custom", "url": stac.url, "collection": "sentinel-2-l2a"},
        },
    )
    assert status["status"].tolist() == ["ok", "not_covered"]
    assert pd.read_csv(tmp_path / "status.csv")["reason"][1].startswith("no sentinel-2-l2a item")
    with rasterio.open(tmp_path / "tiles" / f"{rows[0]['cell_id']}.tif") as src:
        assert src.tags()["backend"] == "stac" and "SCL" in src.tags()["cloud_mask"]
        assert src.descriptions[-1] == "_mine" and src.read(5).sum() > 0


def test_unreachable_service_fails_clearly_after_retries():
    cell = cell_from_row(cell_row(32618, 440000, 4170000, 1280))
    with pytest.raises(ImageryServiceError, match=r"STAC API http://127.0.0.1:9/v1.*2 attempts"):
        backend("http://127.0.0.1:9/v1").fetch(cell, None)


def test_baseline_offset_rules():
    assert baseline_offset({"s2:processing_baseline": "04.00"}) == 1000
    assert baseline_offset({"s2:processing_baseline": "05.10"}) == 1000
    assert baseline_offset({"s2:processing_baseline": "02.14"}) == 0
    assert (
        baseline_offset({"s2:processing_baseline": "04.00", "earthsearch:boa_offset_applied": True})
        == 0
    )


def make_corrupt_item(server: StacServer, item_id: str, x0: float) -> dict:
    """An item over another window whose assets are not GeoTIFFs (a damaged upload)."""
    item = make_item(server, item_id, "2019-04-01", "02.12", 0, cloudy=False)
    west, south, east, north = transform_bounds(
        "EPSG:32618", "EPSG:4326", x0, Y0 - SIZE, x0 + SIZE, Y0
    )
    item["bbox"] = [west, south, east, north]
    item["geometry"]["coordinates"] = [
        [[west, south], [east, south], [east, north], [west, north], [west, south]]
    ]
    for asset in item["assets"].values():
        asset["proj:transform"][2] = x0
        (server.root / asset["href"].rsplit("/", 1)[1]).write_bytes(b"II*\x00" + b"\x17" * 4000)
    return item


@pytest.mark.slow
@needs_sentinel2
def test_faults_are_retried_or_recorded_per_cell_and_the_rest_of_the_shard_is_intact(tmp_path):
    """Against the loopback server: failing and dropped requests are retried; a corrupt asset
    fails only its cell, which the status table names; the other tiles equal a clean run's."""
    far = X0 + 20_000
    rows = [
        cell_row(32618, 440000, 4170000, 1280),
        cell_row(32618, 440640, 4169360, 1280),
        cell_row(32618, far + 640, 4170000, 1280),  # only the corrupt item covers it
    ]
    cells = write_cells(tmp_path, rows)
    polygons = write_rectangles(tmp_path, 32618, [(440300, 4169000, 440900, 4169700)])

    def run(server, name):
        imagery = {
            "backend": "stac",
            "bands": list(ASSETS),
            "stac": {
                "provider": "custom",
                "url": server.url,
                "collection": "sentinel-2-l2a",
                "backoff_s": 0.01,
            },
        }
        return make_shard_tiles(
            cells=cells,
            polygons=polygons,
            shard="s0",
            tiles_dir=tmp_path / name,
            status=tmp_path / f"{name}.csv",
            imagery=imagery,
            fetch={"retries": 3, "max_concurrency": 1, "max_failed_fraction": 0.5},
            store_dir=tmp_path / f"{name}_store",
        )

    for name, faults in (("clean", {}), ("faulty", {"/search": [503, 429], "_red.tif": ["drop"]})):
        with StacServer(tmp_path / f"{name}_server") as server:
            (tmp_path / f"{name}_server").mkdir(exist_ok=True)
            server.items = [
                make_item(server, "S2A_20190301", "2019-03-01", "04.00", 1000, cloudy=False),
                make_corrupt_item(server, "S2B_20190401", far),
            ]
            server.faults = {k: list(v) for k, v in faults.items()}
            status = run(server, name)
            if faults:
                assert len(server.faults_served) == 3  # every injected fault was met, and passed
        assert status["status"].tolist() == ["ok", "ok", "failed"]
        assert "S2B_20190401" in status["reason"][2] or "attempts" in status["reason"][2]
    for row in rows[:2]:
        with (
            rasterio.open(tmp_path / "clean" / f"{row['cell_id']}.tif") as clean,
            rasterio.open(tmp_path / "faulty" / f"{row['cell_id']}.tif") as faulty,
        ):
            assert np.array_equal(clean.read(), faulty.read())
    assert not (tmp_path / "faulty" / f"{rows[2]['cell_id']}.tif").exists()
    assert pd.read_csv(tmp_path / "faulty.csv")["status"].tolist() == ["ok", "ok", "failed"]
