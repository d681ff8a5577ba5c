"""Earth Engine pixels as the fake computes them from the request minescan builds: a real zero
is not no data, coarse pixels average only clear 10 m pixels, and a cell across the
antimeridian is asked for as itself."""

from __future__ import annotations

import numpy as np
from fixtures.fake_ee import FakeEE, pixel_value
from fixtures.imagery import cell_row

from minescan.cells import cell_from_row
from minescan.imagery.backends import gee

BANDS = ("B2", "B8A", "B11", "B12")
ROW = cell_row(32750, 511120, 9944740, 1280)


def backend(fake: FakeEE, **options) -> gee.GeeBackend:
    imagery = {"backend": "gee", "bands": list(BANDS), "gee": {"backoff_s": 0.0, **options}}
    b = gee.GeeBackend.from_config(imagery)
    b._ee = fake
    return b


def test_a_median_of_zero_is_a_valid_dark_pixel_not_no_data():
    # Tailings water after the 2022 baseline: B8A, B11 and B12 medians of 0 where B2 is not.
    cell = cell_from_row(ROW)
    fake = FakeEE()
    fake.median = lambda rows, cols, band: np.where(
        (band > 0) & ((rows + cols) % 3 == 0), 0.0, pixel_value(rows, cols, band) + 0.4
    )
    image = backend(fake).fetch(cell, None)
    row0, col0 = round(-cell.ymax / 10), round(cell.xmin / 10)
    rows, cols = np.mgrid[row0 : row0 + cell.height, col0 : col0 + cell.width]
    dark = (rows + cols) % 3 == 0
    assert image.valid.all()  # no pixel blanked: before, a third of them were
    assert np.array_equal(image.data[0], pixel_value(rows, cols, 0))  # B2 kept, rounded
    assert (image.data[1:, dark] == 1).all()  # reflectance 0 is clipped to 1, as STAC does
    assert np.array_equal(image.data[3][~dark], pixel_value(rows, cols, 3)[~dark])


def test_masked_pixels_are_still_no_data():
    cell = cell_from_row(ROW)
    fake = FakeEE()
    fake.clear = lambda rows, cols: cols % 2 == 0
    image = backend(fake).fetch(cell, None)
    assert image.valid[:, 0::2].all() and not image.valid[:, 1::2].any()


def test_halfway_medians_round_as_the_other_backends_round():
    from minescan.imagery.tile import to_uint16_reflectance

    cell = cell_from_row(ROW)
    fake = FakeEE()
    fake.median = lambda rows, cols, band: np.full(rows.shape, 1002.5 + band)
    image = backend(fake).fetch(cell, None)
    assert list(image.data[:, 0, 0]) == [1003, 1004, 1005, 1006]
    stac_way = to_uint16_reflectance(np.array([[[1002.5]]]), np.array([[True]]))
    assert stac_way[0, 0, 0] == 1003


def test_coarse_pixels_average_clear_10m_pixels_only_with_the_stac_clear_share():
    cell = cell_from_row(ROW, pixel_size=80)
    fake = FakeEE()
    # 10 m pixels: a cloud (masked) over the first 3 of every 8 columns, which the unmasked
    # values there would brighten by 5000; rows 0-39 (the first 5 coarse rows) 70 % cloudy.
    fake.median = lambda rows, cols, band: np.where(cols % 8 < 3, 6000.0, 1000.0 + band)
    fake.clear = lambda rows, cols: (cols % 8 >= 3) & ~(((rows - rows.min()) < 40) & (cols % 8 < 6))
    image = backend(fake, min_clear_share=0.5).fetch(cell, None)
    assert image.data.shape == (4, 16, 16)
    # 62 % clear: the mean of the clear pixels only, no cloud in it.
    assert (image.data[:, 5:, :] == np.array([1000, 1001, 1002, 1003])[:, None, None]).all()
    assert not image.valid[:5].any()  # 25 % clear: below min_clear_share, no data
    assert "composited at 10 m" in image.tags["coarse_pixels"]

    expression = fake.requests[0]["expression"]
    names = [name for name, _, _ in expression.ops()]
    assert names[names.index("median") :] == [
        "median",
        "setDefaultProjection",
        "reduceResolution",
        "updateMask",
        "round",
        "max",
        "unmask",
        "toUint16",
    ]
    ops = dict((name, (args, kwargs)) for name, args, kwargs in expression.ops())
    assert ops["setDefaultProjection"][1] == {
        "crs": "EPSG:32750",
        "crsTransform": [10, 0, 511120.0, 0, -10, 9944740.0],
    }
    assert ops["reduceResolution"][1]["maxPixels"] >= 64
    share = ops["updateMask"][0][0].ops()
    assert share[-1] == ("gte", (0.5,), {})
    assert fake.requests[0]["grid"]["affineTransform"]["scaleX"] == 80.0


def test_10m_cells_are_not_reduced():
    fake = FakeEE()
    backend(fake).fetch(cell_from_row(ROW), None)
    names = [name for name, _, _ in fake.requests[0]["expression"].ops()]
    assert "reduceResolution" not in names and names[-3:] == ["max", "unmask", "toUint16"]


def test_a_cell_across_the_antimeridian_is_a_rectangle_in_its_own_crs():
    # Taveuni, Fiji: UTM 1 South; the cell straddles 180 degrees.
    cell = cell_from_row(cell_row(32701, 178000, 8132000, 5120))
    west, _, east, _ = cell.lonlat_bounds()
    assert west > east  # what a lon/lat Rectangle got before: the rest of the latitude band
    fake = FakeEE()
    backend(fake).request(cell)
    rectangles = [args for name, args in fake.calls if name == "Rectangle"]
    assert rectangles == [([178000.0, 8126880.0, 183120.0, 8132000.0], "EPSG:32701", False)]
