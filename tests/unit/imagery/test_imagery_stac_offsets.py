"""Per-item decisions on the loopback STAC server: the processing-baseline 04.00 offset of
Earth Search items of February 2022 that still carry it (and those that do not, with the same
flag), recorded per tile; AOT left without offset; a cell across 180 degrees searched as two
boxes."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.imagery import cell_row, needs_sentinel2
from fixtures.stac_items import X0, Y0, make_item, real, write_cog
from fixtures.stac_server import StacServer

from minescan.cells import cell_from_row
from minescan.imagery.backends.stac import StacBackend
from minescan.imagery.backends.stac_providers import baseline_offset

pytest.importorskip("odc.stac")
pytest.importorskip("pystac_client")
pytestmark = needs_sentinel2

SMALL = 1280.0
BANDS = ("B2", "B4")
CELL = cell_from_row(cell_row(32618, X0, Y0, int(SMALL)))


def halves(clear_left: bool) -> np.ndarray:
    n = int(SMALL // 20)
    scl = np.full((n, n), 9, dtype=np.uint8)
    scl[:, : n // 2] = 4 if clear_left else 9
    scl[:, n // 2 :] = 9 if clear_left else 4
    return scl


def fetch(server, provider: str, bands=BANDS):
    imagery = {
        "backend": "stac",
        "bands": list(bands),
        "dates": ["2021-01-01", "2023-01-01"],
        "stac": {"provider": provider, "url": server.url, "retries": 2, "backoff_s": 0.01},
    }
    return StacBackend.from_config(imagery).fetch(CELL, None)


@pytest.mark.parametrize("carried", [1000, 0])
def test_a_february_2022_earth_search_item_is_decided_by_its_own_pixels(carried, tmp_path):
    # Both say earthsearch:boa_offset_applied false; one still holds ESA's numbers (+1000).
    with StacServer(tmp_path) as server:
        old, _ = make_item(
            server, "earth-search", "2021-06-01", "02.14", halves(True), BANDS,
            dn_offset=0, size=SMALL,
        )  # fmt: skip
        new, _ = make_item(
            server, "earth-search", "2022-02-10", "04.00", halves(False), BANDS,
            dn_offset=carried, flag=False, size=SMALL,
        )  # fmt: skip
        server.items = [old, new]
        image = fetch(server, "earth-search")
    for i, band in enumerate(BANDS):
        assert np.array_equal(image.data[i], real(band, SMALL)), band  # both halves right
    offsets = dict(pair.split("=") for pair in image.tags["offsets"].split(","))
    assert offsets == {old["id"]: "0", new["id"]: str(carried)}
    assert new["id"] in image.tags["offsets_from_pixels"]
    assert "B4 1st percentile" in image.tags["offsets_from_pixels"]


def test_earth_search_items_outside_the_window_or_flagged_are_never_probed():
    later = {"datetime": "2022-06-01T00:00:00Z", "s2:processing_baseline": "04.00"}
    flagged = {
        "datetime": "2022-02-01T00:00:00Z",
        "s2:processing_baseline": "04.00",
        "earthsearch:boa_offset_applied": True,
    }
    window = {"datetime": "2022-02-01T00:00:00Z", "s2:processing_baseline": "04.00"}
    old = {"datetime": "2022-02-01T00:00:00Z", "s2:processing_baseline": "03.01"}
    assert baseline_offset(later, "earth-search") == 0
    assert baseline_offset(flagged, "earth-search") == 0
    assert baseline_offset(window, "earth-search") == -1
    assert baseline_offset(old, "earth-search") == 0


def test_aot_keeps_its_values_when_the_reflectance_loses_the_offset(tmp_path):
    aot = (real("B2", SMALL) // 10).astype(np.uint16)  # aerosol optical thickness x 1000: ~90
    with StacServer(tmp_path) as server:
        files = {"AOT": {"href": f"{server.url}/data/aot.tif", "roles": ["data"]}}
        files["AOT"].update(write_cog(server.root / "aot.tif", aot, 10))
        item, _ = make_item(
            server, "planetary-computer", "2022-06-01", "04.00", halves(True) * 0 + 4,
            ("B2",), dn_offset=1000, size=SMALL, files=files,
        )  # fmt: skip
        server.items = [item]
        image = fetch(server, "planetary-computer", bands=("B2", "AOT"))
    assert np.array_equal(image.data[0], real("B2", SMALL))
    assert np.array_equal(image.data[1], aot)  # before: 90 - 1000, clipped to 1


def test_a_cell_across_the_antimeridian_is_searched_as_two_boxes(tmp_path):
    # Taveuni, Fiji (UTM 1 South): the cell straddles 180 degrees, west > east in lon/lat.
    cell = cell_from_row(cell_row(32701, 178000, 8132000, 5120))

    def item(ident: str, west: float, east: float) -> dict:
        box = [west, -17.5, east, -16.5]
        ring = [[west, -17.5], [east, -17.5], [east, -16.5], [west, -16.5], [west, -17.5]]
        return {
            "type": "Feature", "stac_version": "1.0.0", "id": ident, "bbox": box,
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"datetime": "2021-06-01T00:00:00Z", "eo:cloud_cover": 5.0},
            "assets": {}, "links": [], "collection": "sentinel-2-l2a",
        }  # fmt: skip

    with StacServer(tmp_path) as server:
        server.items = [
            item("west_of_180", 179.5, 180.0),
            item("east_of_180", -180.0, -179.5),
            item("africa", 10.0, 11.0),  # in the latitude band, far from the cell
        ]
        imagery = {"backend": "stac", "bands": ["B2"], "dates": ["2021-01-01", "2022-01-01"]}
        imagery["stac"] = {"url": server.url, "retries": 1}
        found = StacBackend.from_config(imagery).search(cell)
        boxes = [s["bbox"] for s in server.searches]
    assert sorted(i.id for i in found) == ["east_of_180", "west_of_180"]
    assert len(boxes) == 2 and boxes[0][2] == 180.0 and boxes[1][0] == -180.0
    assert boxes[0][0] > 179.9 and boxes[1][2] < -179.9
