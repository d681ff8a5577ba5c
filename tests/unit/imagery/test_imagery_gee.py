"""Earth Engine backend without network: the computePixels request it builds, retries on quota
and server errors, a clear error when the service stays unreachable, no credentials in tags."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
import rasterio
from fixtures.fake_ee import Chain as Call
from fixtures.fake_ee import FakeEE
from fixtures.imagery import cell_row

from minescan.cells import cell_from_row
from minescan.errors import MinescanInputError
from minescan.imagery.backends import gee
from minescan.imagery.errors import ImageryServiceError

CELL_ROW = cell_row(32750, 511120, 9944740, 1280)
CELL = cell_from_row(CELL_ROW)
BANDS = ("B2", "B3", "B4", "B8", "B11")


def backend(ee: FakeEE, **options) -> gee.GeeBackend:
    imagery = {"backend": "gee", "bands": list(BANDS), "gee": {"backoff_s": 0.0, **options}}
    b = gee.GeeBackend.from_config(imagery)
    b._ee = ee
    return b


def geotiff(value: int, valid: bool = True) -> bytes:
    data = np.full((len(BANDS), 128, 128), value if valid else 0, dtype=np.uint16)
    buffer = io.BytesIO()
    profile = dict(driver="GTiff", width=128, height=128, count=len(BANDS), dtype="uint16")
    with rasterio.MemoryFile() as memory:
        with memory.open(crs=CELL.crs, transform=CELL.transform, **profile) as dst:
            dst.write(data)
        buffer.write(memory.read())
    return buffer.getvalue()


def test_request_is_one_geotiff_on_the_cells_own_grid():
    fake = FakeEE()
    request = backend(fake).request(CELL)
    assert request["fileFormat"] == "GEO_TIFF" and request["bandIds"] == list(BANDS)
    assert request["grid"] == {
        "dimensions": {"width": 128, "height": 128},
        "affineTransform": {
            "scaleX": 10.0,
            "shearX": 0,
            "translateX": 511120.0,
            "shearY": 0,
            "scaleY": -10.0,
            "translateY": 9944740.0,
        },
        "crsCode": "EPSG:32750",
    }
    calls = dict(fake.calls)
    assert ("ImageCollection", ("COPERNICUS/S2_SR_HARMONIZED",)) in fake.calls
    assert ("ImageCollection", ("GOOGLE/CLOUD_SCORE_PLUS/V1/S2_HARMONIZED",)) in fake.calls
    assert calls["filterDate"] == ("2019-01-01", "2020-01-01")
    assert calls["linkCollection"][1] == ["cs_cdf"]
    assert calls["select"] == (list(BANDS),) and "median" in calls
    assert calls["lt"] == ("CLOUDY_PIXEL_PERCENTAGE", 60.0)
    # The Cloud Score+ mask: keep pixels whose cs_cdf clear score is >= the threshold.
    mask = calls["map"][0]
    inner: list = []
    mask(Call(inner, "image"))
    assert ("select", ("cs_cdf",)) in inner and ("gte", (0.6,)) in inner


def test_coarser_pixels_ask_for_fewer_pixels_over_the_same_ground():
    coarse = cell_from_row(CELL_ROW, pixel_size=40)
    grid = backend(FakeEE()).request(coarse)["grid"]
    assert grid["dimensions"] == {"width": 32, "height": 32}
    assert grid["affineTransform"]["scaleX"] == 40.0
    assert grid["affineTransform"]["translateX"] == 511120.0


def test_quota_and_server_errors_are_retried():
    fake = FakeEE(["rate", "internal", geotiff(1234)])
    image = backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 3 and image.data.shape == (5, 128, 128)
    assert (image.data == 1234).all() and image.tags["backend"] == "gee"
    assert "cs_cdf" in image.tags["cloud_mask"]


def test_unreachable_service_fails_clearly_after_the_retries():
    fake = FakeEE([ConnectionError("Connection reset")] * 3)
    with pytest.raises(ImageryServiceError, match=rf"cell {CELL.cell_id}.*3 attempts"):
        backend(fake, retries=3).fetch(CELL, None)


def test_user_errors_are_not_retried():
    fake = FakeEE([RuntimeError("Image.select: band 'B99' not found")])
    with pytest.raises(RuntimeError, match="B99"):
        backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 1


def test_cloudy_composite_is_a_status_not_an_error():
    from minescan.imagery.errors import CellSkipped

    with pytest.raises(CellSkipped) as skipped:
        backend(FakeEE([geotiff(0, valid=False)])).fetch(CELL, None)
    assert skipped.value.status == "cloudy"


def test_cirrus_band_needs_a_top_of_atmosphere_collection():
    with pytest.raises(MinescanInputError, match="B10.*imagery.level: l1c.*S2_HARMONIZED"):
        gee.GeeBackend.from_config({"bands": ["B2", "B10"]})
    ok = gee.GeeBackend.from_config({"level": "l1c", "bands": ["B2", "B10"]})
    assert ok.bands == ("B2", "B10") and ok.collection == "COPERNICUS/S2_HARMONIZED"


@pytest.mark.slow
def test_earth_engine_is_imported_lazily_and_missing_credentials_are_explained(monkeypatch):
    code = "import minescan.imagery.backends.gee, sys; print('ee' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    pytest.importorskip("ee")
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    with pytest.raises(MinescanInputError, match="earthengine authenticate"):
        gee.initialize(project="my-project")
