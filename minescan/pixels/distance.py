"""Signed distance from pixel centres to the nearest polygon edge, in metres, negative inside.

``exact``: the distance to the nearest boundary segment. Pixels are taken 32 x 32 at a time:
the distance d from the block's centre to its nearest segment (one spatial-index query,
shapely STRtree) plus the block's radius bounds every pixel's distance, so only the segments
within that reach of the block can be nearest; they are fetched from the index and the
point-to-segment distances of the whole block computed at once with numpy. The same exact
result as one index query per pixel, several times faster. ``raster``: the distance transform alone,
within about one pixel of the exact value; pixels farther from any polygon than the search
margin fall back to ``exact``.
"""

from __future__ import annotations

import numpy as np
import shapely
from rasterio import features
from rasterio.transform import from_origin
from scipy import ndimage

from minescan.cells import Cell, PolygonsByCrs

METHODS = ("exact", "raster")
BLOCK_PIXELS = 32  # pixels measured together, per side
MAX_PAIRS = 4_000_000  # point-segment pairs of one block held in memory at once


def _block_distance(edges: EdgeIndex, x: np.ndarray, y: np.ndarray, reach: float) -> np.ndarray:
    """Distances of nearby points to their nearest segment, all segments within ``reach`` of
    the points' bounding box measured at once (``reach`` bounds every point's distance)."""
    box = (x.min() - reach, y.min() - reach, x.max() + reach, y.max() + reach)
    candidates = edges.within(box)
    if len(candidates) == 0 or len(candidates) * len(x) > MAX_PAIRS:
        return edges.distance(x, y)
    a = edges.starts[candidates]
    ab = edges.ends[candidates] - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    px = x[:, None] - a[None, :, 0]
    py = y[:, None] - a[None, :, 1]
    t = np.clip((px * ab[:, 0] + py * ab[:, 1]) / length2, 0.0, 1.0)
    dx = px - t * ab[:, 0]
    dy = py - t * ab[:, 1]
    return np.sqrt((dx * dx + dy * dy).min(axis=1))


class EdgeIndex:
    """All boundary segments of some polygons, indexed for nearest-segment queries."""

    def __init__(self, polygons) -> None:
        rings = shapely.get_parts(shapely.boundary(np.asarray(polygons, dtype=object)))
        rings = shapely.get_parts(rings)  # multi-line boundaries of polygons with holes
        coords, owner = shapely.get_coordinates(rings, return_index=True)
        same = owner[:-1] == owner[1:]
        self.starts, self.ends = coords[:-1][same], coords[1:][same]
        self.size = len(self.starts)
        self._tree = shapely.STRtree(
            shapely.linestrings(np.stack([self.starts, self.ends], axis=1))
        )

    def within(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Indices of the segments meeting ``box`` (xmin, ymin, xmax, ymax)."""
        return self._tree.query(shapely.box(*box))

    def distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Unsigned distance of each point to the nearest segment (inf when there is none)."""
        if self.size == 0 or len(x) == 0:
            return np.full(len(x), np.inf)
        points = shapely.points(x, y)
        index, dist = self._tree.query_nearest(points, return_distance=True, all_matches=False)
        out = np.full(len(x), np.inf)
        out[index[0]] = dist
        return out


class SignedDistance:
    """Signed distances for cells of any UTM zone; polygons indexed near each cell first."""

    def __init__(self, polygons: PolygonsByCrs, margin_m: float = 5000.0, method: str = "exact"):
        if method not in METHODS:
            raise ValueError(f"distance method {method!r} is not one of {METHODS}")
        self.polygons = polygons
        self.margin_m = float(margin_m)
        self.method = method
        self._all: dict[int, EdgeIndex] = {}

    def _everywhere(self, epsg: int) -> EdgeIndex:
        if epsg not in self._all:
            self._all[epsg] = EdgeIndex(self.polygons.in_crs(epsg))
        return self._all[epsg]

    def exact(self, cell: Cell, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Exact distances, measured a block of pixels at a time (see the module's notes)."""
        near = EdgeIndex(self.polygons.near(cell.epsg, cell.bounds, self.margin_m))
        dist = np.full(len(x), np.inf)
        if len(x) == 0:
            return dist
        size = BLOCK_PIXELS * cell.pixel_size
        bx = np.floor((x - cell.xmin) / size).astype(np.int64)
        by = np.floor((cell.ymax - y) / size).astype(np.int64)
        order = np.lexsort((bx, by))
        keys = (by * 1_000_003 + bx)[order]
        for group in np.split(order, np.flatnonzero(np.diff(keys)) + 1):
            dist[group] = self._block(cell, near, x[group], y[group])
        return dist

    def _block(self, cell: Cell, near: EdgeIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """One block: the nearest segment to its centre bounds every point's distance (by the
        triangle inequality), so only segments within that reach can be any point's nearest."""
        cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
        edges = near
        centre = near.distance(np.array([cx]), np.array([cy]))[0]
        reach = centre + np.hypot(x - cx, y - cy).max()
        # Polygons beyond the margin were not indexed with the cell: they may be nearer.
        if not reach <= self.margin_m:
            edges = self._everywhere(cell.epsg)
            centre = edges.distance(np.array([cx]), np.array([cy]))[0]
            reach = centre + np.hypot(x - cx, y - cy).max()
        if not np.isfinite(reach):
            return np.full(len(x), np.inf)
        return _block_distance(edges, x, y, reach)

    def raster(self, cell: Cell, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        pad = int(np.ceil(self.margin_m / cell.pixel_size))
        shape = (cell.height + 2 * pad, cell.width + 2 * pad)
        transform = from_origin(
            cell.xmin - pad * cell.pixel_size,
            cell.ymax + pad * cell.pixel_size,
            cell.pixel_size,
            cell.pixel_size,
        )
        geoms = self.polygons.near(cell.epsg, cell.bounds, self.margin_m)
        mask = np.zeros(shape, dtype=np.uint8)
        if len(geoms):
            mask = features.rasterize(
                ((g, 1) for g in geoms), out_shape=shape, transform=transform, dtype="uint8"
            )
        r, c = rows + pad, cols + pad
        inside = mask[r, c].astype(bool)
        half = cell.pixel_size / 2
        dist = np.full(len(rows), np.inf)
        if mask.any():
            to_mine = ndimage.distance_transform_edt(mask == 0, sampling=cell.pixel_size)[r, c]
            dist = np.where(inside, 0.0, to_mine - half)
        if inside.any() and not mask.all():
            to_outside = ndimage.distance_transform_edt(mask == 1, sampling=cell.pixel_size)[r, c]
            dist = np.where(inside, to_outside - half, dist)
        unreliable = dist > self.margin_m
        if unreliable.any():
            x = cell.xmin + (cols[unreliable] + 0.5) * cell.pixel_size
            y = cell.ymax - (rows[unreliable] + 0.5) * cell.pixel_size
            dist[unreliable] = self._everywhere(cell.epsg).distance(x, y)
        return dist

    def __call__(
        self, cell: Cell, rows: np.ndarray, cols: np.ndarray, inside: np.ndarray
    ) -> np.ndarray:
        """Signed distance (float32 metres) of the given pixels; ``inside`` sets the sign."""
        if self.method == "raster":
            dist = self.raster(cell, rows, cols)
        else:
            x = cell.xmin + (cols + 0.5) * cell.pixel_size
            y = cell.ymax - (rows + 0.5) * cell.pixel_size
            dist = self.exact(cell, x, y)
        return np.where(inside, -dist, dist).astype(np.float32)
