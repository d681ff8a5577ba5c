"""One STAC search per shard, items assigned to cells locally: the same tiles as a search per
cell, from one request to /search instead of one per cell."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.imagery import cell_row, needs_sentinel2
from fixtures.stac_items import X0, Y0, make_item
from fixtures.stac_server import StacServer

from minescan.cells import cell_from_row
from minescan.imagery.backends.stac import StacBackend

pytest.importorskip("odc.stac")
pytest.importorskip("pystac_client")
pytestmark = needs_sentinel2

BANDS = ("B2", "B11")
SIZE = 2560.0
CELLS = [
    cell_from_row(cell_row(32618, X0 + dx, Y0 - dy, 1280)) for dx in (0, 1280) for dy in (0, 1280)
]


def scl(shift: int) -> np.ndarray:
    n = int(SIZE // 20)
    out = np.full((n, n), 4, dtype=np.uint8)
    out[:, shift : shift + n // 3] = 9  # a band of cloud, elsewhere on each date
    return out


def backend(server) -> StacBackend:
    imagery = {
        "backend": "stac",
        "bands": list(BANDS),
        "dates": ["2021-01-01", "2022-01-01"],
        "stac": {"provider": "earth-search", "url": server.url, "backoff_s": 0.01},
    }
    return StacBackend.from_config(imagery)


def test_a_shard_is_searched_once_and_gives_the_tiles_of_a_search_per_cell(tmp_path):
    with StacServer(tmp_path) as server:
        server.items = [
            make_item(
                server, "earth-search", f"2021-0{m}-01", "02.14", scl(20 * m), BANDS,
                dn_offset=0, size=SIZE, platform="S2A" if m % 2 else "S2B",
            )[0]
            for m in (3, 5, 7)
        ]  # fmt: skip
        per_cell = backend(server)
        old = [per_cell.fetch(cell, None) for cell in CELLS]
        searches_per_cell = len(server.searches)
        shard = backend(server)
        shard.plan(CELLS)
        new = [shard.fetch(cell, None) for cell in CELLS]
        searches_per_shard = len(server.searches) - searches_per_cell
    assert searches_per_cell == 4 and searches_per_shard == 1
    for a, b in zip(old, new, strict=True):
        assert np.array_equal(a.data, b.data) and a.tags["items"] == b.tags["items"]
        assert a.valid.mean() > 0.9


def test_items_are_assigned_to_the_cells_their_footprint_meets(tmp_path):
    with StacServer(tmp_path) as server:
        item, _ = make_item(
            server, "earth-search", "2021-06-01", "02.14", scl(0), BANDS, dn_offset=0, size=SIZE
        )
        far = cell_from_row(cell_row(32618, X0 + 20480, Y0, 1280))  # 20 km east: not covered
        server.items = [item]
        b = backend(server)
        b.plan([*CELLS, far])
        assert len(server.searches) == 1
        assert all([i.id for i in b.search(c)] == [item["id"]] for c in CELLS)
        assert b.search(far) == []
