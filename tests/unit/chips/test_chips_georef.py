"""Chips on the ground: the UTM square centred on the chip, polygon labels of the right years."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fixtures.imagery import SHARED, needs_chips

from minescan.chips.georef import (
    PolygonLabeller,
    chip_frame,
    read_yearly_polygons,
    window_year,
)
from minescan.errors import MinescanInputError
from minescan.utm import to_lonlat

AMW = SHARED / "polygons" / "amazon_mining_watch"


def test_chip_frame_is_centred_on_the_chip_with_10_m_pixels():
    frame = chip_frame(-56.64, -7.84, (48, 48))
    assert frame.epsg == 32721 and frame.transform.a == 10 and frame.transform.e == -10
    xmin, ymin, xmax, ymax = frame.bounds
    assert xmax - xmin == 480 and ymax - ymin == 480
    lon, lat = to_lonlat((xmin + xmax) / 2, (ymin + ymax) / 2, frame.epsg)
    assert lon == pytest.approx(-56.64, abs=1e-7) and lat == pytest.approx(-7.84, abs=1e-7)


def square_around(lon, lat, frame, x0, x1):
    """A lon/lat polygon covering columns x0..x1 (pixels) of the chip frame, all rows."""
    xmin, ymin, _, ymax = frame.bounds
    xs = [xmin + x0 * 10, xmin + x1 * 10]
    corners = [(xs[0], ymin - 50), (xs[1], ymin - 50), (xs[1], ymax + 50), (xs[0], ymax + 50)]
    lons, lats = to_lonlat(
        np.array([c[0] for c in corners]), np.array([c[1] for c in corners]), frame.epsg
    )
    return shapely.Polygon(zip(lons, lats, strict=True))


def test_labels_follow_the_polygons_of_the_years_up_to_the_window():
    lon, lat = -60.0, 3.0
    frame = chip_frame(lon, lat, (48, 48))
    polygons = gpd.GeoDataFrame(
        {"year": [2018, 2022]},
        geometry=[square_around(lon, lat, frame, 0, 12), square_around(lon, lat, frame, 36, 48)],
        crs=4326,
    )
    labeller = PolygonLabeller(polygons)
    mine, distance = labeller.label(lon, lat, 2019, (48, 48))
    assert mine[:, :12].all() and not mine[:, 12:].any()  # the 2022 polygon is not yet there
    assert (distance[:, :12] < 0).all() and (distance[:, 12:] > 0).all()
    assert distance[0, 20] == pytest.approx(85.0, abs=1.0)  # pixel centre 8.5 px from the edge
    mine, _ = labeller.label(lon, lat, 2023, (48, 48))
    assert mine[:, 36:].all() and mine.sum() == 24 * 48
    far, dist = labeller.label(lon + 1.0, lat, 2023, (48, 48))
    assert not far.any() and np.isinf(dist).all()


def test_window_year_needs_a_date():
    assert window_year("2021-12-31", "x") == 2021
    with pytest.raises(MinescanInputError, match="no date window end"):
        window_year(None, "site7_t1")


def test_a_folder_without_yearly_files_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(MinescanInputError, match="no yearly polygon files"):
        read_yearly_polygons(tmp_path)


@pytest.mark.slow
@needs_chips
def test_amazon_mining_watch_layers_carry_their_years():
    polygons = read_yearly_polygons(AMW)
    assert len(polygons) == 45011
    assert polygons["year"].min() == 2018 and polygons["year"].max() == 2025
    assert (polygons["year"] == 2018).sum() == 5444
