"""The processing-baseline 04.00 offset decided per item on the loopback STAC server: Earth
Search items of February 2022 that still carry it (and those that do not, with the same
flag), recorded per tile; AOT, which has no offset, left as it is."""

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
