"""STAC searches: once per 1-degree box of a shard's cells, split at 180 degrees, and the items
given to each cell by footprint, dates and cloud cover (the STAC backend's search half)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from minescan.cells import Cell
from minescan.imagery.backends.stac_errors import is_transient
from minescan.imagery.retry import with_retries

log = logging.getLogger(__name__)
PAGE_SIZE = 100  # items per page of a search: fewer round trips than servers' default of 10


def search_boxes(bounds: Sequence[float]) -> list[tuple[float, float, float, float]]:
    """The search bbox of a cell, split in two at 180 degrees when it crosses it (west > east):
    STAC servers read such a bbox differently (RFC 7946 allows it, many APIs refuse it or take
    the rest of the latitude band)."""
    west, south, east, north = bounds
    if west <= east:
        return [(west, south, east, north)]
    return [(west, south, 180.0, north), (-180.0, south, east, north)]


class StacSearch:
    """Searching for the STAC backend (its ``client``, ``collection``, dates and limits)."""

    _planned: dict[str, list] | None = None

    def _search_bbox(self, bounds: Sequence[float], what: str) -> list:
        """Every item over ``bounds`` (lon/lat, split at 180 degrees) in the dates, under the
        cloud cover, once each."""

        def run(bbox) -> list:
            search = self.client().search(
                collections=[self.collection],
                bbox=bbox,
                datetime=f"{self.dates[0]}/{self.dates[1]}",
                query={"eo:cloud_cover": {"lt": self.max_cloud_cover}},
                limit=PAGE_SIZE,
            )
            return list(search.items())

        found: dict[str, Any] = {}
        for bbox in search_boxes(bounds):
            for item in with_retries(
                lambda bbox=bbox: run(bbox),
                what=f"{what}: STAC search at {self.url}",
                is_transient=is_transient,
                attempts=self.retries,
                backoff_s=self.backoff_s,
            ):
                found.setdefault(item.id, item)  # an item across 180 degrees is found twice
        return list(found.values())

    def _select(self, items: Sequence, bounds: Sequence[float]) -> list:
        """The items whose footprint meets a cell's lon/lat ``bounds``, in the dates, least
        cloudy first, at most ``max_items``."""
        import shapely.geometry

        boxes = [shapely.geometry.box(*b) for b in search_boxes(bounds)]
        chosen = []
        for item in items:
            # The dates are an end-exclusive interval; STAC datetime ranges include the end.
            if str(item.properties.get("datetime", ""))[:10] >= self.dates[1]:
                continue
            footprint = shapely.geometry.shape(item.geometry) if item.geometry else None
            if footprint is None or any(footprint.intersects(b) for b in boxes):
                chosen.append(item)
        chosen.sort(key=lambda i: (i.properties.get("eo:cloud_cover", 100), i.id))
        return chosen[: self.max_items]

    def plan(self, cells: Sequence[Cell]) -> None:
        """Search once per 1-degree box of a shard's cells instead of once per cell, and give
        each cell its items (``search``): a shard of 100 neighbouring cells is one or a few
        searches, not 100 that each page through the same items. A failed search here leaves
        the cells to search for themselves."""
        groups: dict[tuple, list] = {}
        for cell in cells:
            bounds = cell.lonlat_bounds()
            crosses = bounds[0] > bounds[2]
            key = ("180",) if crosses else (math.floor(bounds[0]), math.floor(bounds[1]))
            groups.setdefault(key, []).append((cell, bounds))
        planned: dict[str, list] = {}
        try:
            for key, members in groups.items():
                union = (
                    min(b[0] for _, b in members),
                    min(b[1] for _, b in members),
                    max(b[2] for _, b in members),
                    max(b[3] for _, b in members),
                )
                if key == ("180",):  # west > east for each: the union is the widest such box
                    union = (
                        min(b[0] for _, b in members),
                        union[1],
                        max(b[2] for _, b in members),
                        union[3],
                    )
                found = self._search_bbox(union, f"{len(members)} cell(s) near {key}")
                for cell, bounds in members:
                    planned[cell.cell_id] = self._select(found, bounds)
        except Exception as error:  # noqa: BLE001 - each cell searches for itself instead
            log.warning("one search per shard failed (%s); searching per cell", error)
            return
        self._planned = planned
        log.info("%d cell(s) searched in %d search(es)", len(cells), len(groups))

    def search(self, cell: Cell) -> list:
        """The cell's items: from the shard's search (``plan``), else its own search."""
        if self._planned is not None and cell.cell_id in self._planned:
            return self._planned[cell.cell_id]
        bounds = cell.lonlat_bounds()
        return self._select(self._search_bbox(bounds, f"cell {cell.cell_id}"), bounds)
