"""What used to fail whole shards or hang jobs, on the loopback STAC server: an item whose COG
answers 404 is dropped and recorded, and the cell keeps its other dates; stalled searches and
reads end at the time-out and are retried; Planetary Computer URLs are signed when read, so a
token renewed after the search is the one used."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from fixtures.imagery import cell_row, needs_sentinel2
from fixtures.stac_items import X0, Y0, FakePlanetaryComputer, make_item, real
from fixtures.stac_server import StacServer

from minescan.cells import cell_from_row
from minescan.imagery.backends.stac import StacBackend
from minescan.imagery.errors import ImageryServiceError

pytest.importorskip("odc.stac")
pytest.importorskip("pystac_client")
pytestmark = needs_sentinel2

SMALL = 1280.0
BANDS = ("B2", "B11")
CELL = cell_from_row(cell_row(32618, X0, Y0, int(SMALL)))


def scl(clear: str) -> np.ndarray:
    """SCL at 20 m: vegetation (4) on the ``clear`` half (left, right or all), cloud elsewhere."""
    n = int(SMALL // 20)
    out = np.full((n, n), 9, dtype=np.uint8)
    cols = {"left": slice(0, n // 2), "right": slice(n // 2, n), "all": slice(0, n)}[clear]
    out[:, cols] = 4
    return out


def backend(server, provider="earth-search", **options) -> StacBackend:
    imagery = {
        "backend": "stac",
        "bands": list(BANDS),
        "dates": ["2021-01-01", "2022-01-01"],
        "stac": {"provider": provider, "url": server.url, "retries": 2, "backoff_s": 0.01},
    }
    imagery["stac"].update(options)
    return StacBackend.from_config(imagery)


def truth() -> list[np.ndarray]:
    return [real("B2", SMALL), np.repeat(np.repeat(real("B11", SMALL), 2, 0), 2, 1)]


def items(server, kind="earth-search", **extra):
    a, _ = make_item(
        server, kind, "2021-06-01", "02.14", scl("left"), BANDS, dn_offset=0, size=SMALL
    )
    b, _ = make_item(
        server, kind, "2021-07-01", "02.14", scl("right"), BANDS, dn_offset=0, size=SMALL,
        platform="S2A",
    )  # fmt: skip
    return [a, b]


def test_an_item_whose_cog_is_missing_is_dropped_and_the_cell_kept(tmp_path):
    with StacServer(tmp_path) as server:
        good = items(server)
        # A third date, clear everywhere, whose blue COG answers 404 (deleted from the bucket).
        gone, _ = make_item(
            server, "earth-search", "2021-08-01", "02.14", scl("all"), BANDS,
            dn_offset=0, size=SMALL,
        )  # fmt: skip
        name = gone["assets"]["blue"]["href"].rsplit("/", 1)[1]
        (server.root / name).unlink()
        server.items = [*good, gone]
        image = backend(server).fetch(CELL, None)
        reads_of_missing = sum(name in r for r in server.requests)
    for i, expected in enumerate(truth()):
        assert np.array_equal(image.data[i], expected)  # the two other dates, both halves
    assert image.tags["n_items"] == "2" and gone["id"] in image.tags["dropped_items"]
    assert "404" in image.tags["dropped_items"]
    assert reads_of_missing <= 4  # not retried as if the network had failed


def test_a_cell_left_without_items_fails_alone_and_names_them(tmp_path):
    with StacServer(tmp_path) as server:
        server.items = items(server)
        for item in server.items:
            (server.root / item["assets"]["scl"]["href"].rsplit("/", 1)[1]).unlink()
        with pytest.raises(ImageryServiceError, match=r"0 readable item\(s\) left.*S2A_18SUJ"):
            backend(server).fetch(CELL, None)


def test_stalled_search_and_read_end_at_the_time_out_and_are_retried(tmp_path):
    with StacServer(tmp_path) as server:
        server.items = items(server)
        server.faults = {"/search": ["stall:6"], "_blue.tif": ["stall:6"]}
        start = time.monotonic()
        image = backend(server, timeout_s=1).fetch(CELL, None)
        elapsed = time.monotonic() - start
        assert len(server.faults_served) == 2
    for i, expected in enumerate(truth()):
        assert np.array_equal(image.data[i], expected)
    assert elapsed < 6  # without time-outs each stall alone took 6 s


def test_planetary_computer_urls_are_signed_when_read_not_when_searched(tmp_path, monkeypatch):
    signer = FakePlanetaryComputer("sv=2021&sig=first")
    monkeypatch.setitem(sys.modules, "planetary_computer", signer)
    with StacServer(tmp_path) as server:
        server.items = items(server, "planetary-computer")
        server.token = signer.token
        b = backend(server, "planetary-computer")
        search = b.search

        def search_then_expire(cell):
            found = search(cell)
            assert all("?" not in a.href for i in found for a in i.assets.values())
            server.token = signer.token = "sv=2021&sig=renewed"  # the first token expired
            return found

        monkeypatch.setattr(b, "search", search_then_expire)
        image = b.fetch(CELL, None)
        assert server.forbidden == [] and signer.signed > 0
    for i, expected in enumerate(truth()):
        assert np.array_equal(image.data[i], expected)
