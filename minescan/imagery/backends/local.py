"""A folder of the user's own rasters: multi-band GeoTIFFs (e.g. the seed's GEE exports, bands
named in their descriptions) or per-band files of Sentinel-2 products (``..._B02.jp2``).

Files are grouped into scenes, found by footprint, and each band is warped onto the cell's
pixel grid with GDAL (coarser bands resampled, other CRSs reprojected). Where several scenes
cover a cell the per-pixel median of their valid values is taken.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.windows
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, reproject, transform_bounds

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.backends.safe import granule_of, in_safe, read_product, safe_band
from minescan.imagery.bands import (
    BANDS,
    DEFAULT_BANDS,
    MINE_BAND,
    check_bands,
    check_level,
    normalise_band_name,
)
from minescan.imagery.errors import CellSkipped
from minescan.imagery.tile import CellImage, to_uint16_reflectance

log = logging.getLogger(__name__)
BAND_TOKEN = re.compile(r"(?:^|[_.-])(B\d{1,2}|B8A|AOT|TCI_[RGB])(?=$|[_.-])", re.IGNORECASE)
DEFAULT_PATTERNS = ("*.tif", "*.tiff", "*.TIF", "*.jp2", "*.vrt")


@dataclass
class Scene:
    """Rasters that belong together: band name -> (file, 1-based band index)."""

    key: str
    crs: Any
    bounds: tuple[float, float, float, float]
    bands: dict[str, tuple[Path, int]] = field(default_factory=dict)
    nodata: dict[str, float | None] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    """Added to a band's numbers to make them reflectance x 10000 (SAFE, baseline >= 04.00)."""
    level: str | None = None  # l2a or l1c, where the files say (SAFE products)
    pixel_m: dict[str, float] = field(default_factory=dict)

    def files(self) -> list[str]:
        return sorted({str(path) for path, _ in self.bands.values()})


def _open_header(path: Path):
    try:
        return rasterio.open(path)
    except RasterioError as error:
        raise MinescanInputError(
            path, f"cannot be opened as a raster ({error})", "replace the corrupt or truncated file"
        ) from error


def index_folder(
    folder: str | Path,
    patterns: Sequence[str] = DEFAULT_PATTERNS,
    band_order: Sequence[str] | None = None,
) -> list[Scene]:
    """Scan ``folder`` (recursively) and group its rasters into scenes with named bands."""
    root = Path(folder)
    if not root.is_dir():
        raise MinescanInputError(root, "imagery folder does not exist", "set imagery.local.path")
    paths = sorted({p for pattern in patterns for p in root.rglob(pattern)})
    scenes: dict[str, Scene] = {}
    for path in paths:
        granule = granule_of(path)
        if granule is not None:
            _add_safe_file(scenes, path, granule)
            continue
        if in_safe(path):  # masks and previews (QI_DATA) of a SAFE product: no bands
            continue
        with _open_header(path) as src:
            if src.crs is None:
                raise MinescanInputError(
                    path,
                    "raster has no CRS",
                    "georeference it (e.g. gdal_edit.py -a_srs EPSG:326xx)",
                )
            match = BAND_TOKEN.search(path.stem)
            names = _band_names(path, src, match, band_order)
            key = str(path.parent / (BAND_TOKEN.sub("", path.stem) if match else path.stem))
            scene = scenes.setdefault(key, Scene(key, src.crs, tuple(src.bounds)))
            if src.crs != scene.crs:
                raise MinescanInputError(
                    path, f"CRS {src.crs} differs from other bands of its scene ({scene.crs})"
                )
            scene.bounds = _union(scene.bounds, tuple(src.bounds))
            for index, name in enumerate(names, start=1):
                if name is not None and name != MINE_BAND:
                    scene.bands[name] = (path, index)
                    nodata = src.nodatavals[index - 1]
                    # Sentinel-2 products encode no data as 0 and carry no nodata tag.
                    if nodata is None and np.issubdtype(
                        np.dtype(src.dtypes[index - 1]), np.integer
                    ):
                        nodata = 0
                    scene.nodata[name] = nodata
    if not scenes:
        raise MinescanInputError(root, f"no rasters matching {list(patterns)}", "check the folder")
    log.info("indexed %d scene(s) from %d file(s) in %s", len(scenes), len(paths), root)
    return list(scenes.values())


def _add_safe_file(scenes: dict[str, Scene], path: Path, granule: Path) -> None:
    """A band file of a SAFE granule into the granule's one scene, at its finest pixel size."""
    name, _ = safe_band(path)
    if name is None:  # TCI, SCL, WVP: not spectral bands
        return
    with _open_header(path) as src:
        product = read_product(granule)
        key = str(granule)
        scene = scenes.setdefault(key, Scene(key, src.crs, tuple(src.bounds), level=product.level))
        if src.crs != scene.crs:
            raise MinescanInputError(
                path, f"CRS {src.crs} differs from other bands of its granule ({scene.crs})"
            )
        if name in scene.bands and scene.pixel_m[name] <= src.res[0]:
            return
        scene.bounds = _union(scene.bounds, tuple(src.bounds))
        scene.bands[name] = (path, 1)
        scene.nodata[name] = src.nodatavals[0] if src.nodatavals[0] is not None else 0
        scene.pixel_m[name] = src.res[0]
        if product.offsets.get(name):
            scene.offsets[name] = product.offsets[name]


def _band_names(path: Path, src, match, band_order: Sequence[str] | None) -> list[str | None]:
    if match and src.count == 1:
        return [normalise_band_name(match.group(1))]
    descriptions = [d for d in src.descriptions]
    if all(descriptions):
        named = [MINE_BAND if d == MINE_BAND else normalise_band_name(d) for d in descriptions]
        if any(n is not None and n != MINE_BAND for n in named):
            return named
    if band_order is not None:
        if len(band_order) != src.count:
            raise MinescanInputError(
                path,
                f"has {src.count} bands but imagery.local.band_order lists {len(band_order)}",
                "make band_order match the files",
            )
        return [MINE_BAND if b == MINE_BAND else normalise_band_name(b) for b in band_order]
    raise MinescanInputError(
        path,
        f"cannot tell which of its {src.count} bands is which (no band descriptions, no band "
        "name in the file name)",
        "set imagery.local.band_order, e.g. [B2, B3, B4, ...]",
    )


def _union(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float, float]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _intersects(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def band_resampling(band: str, pixel_size: float, configured: str) -> Resampling:
    """The configured method when refining or keeping a band's resolution; the mean of the
    source pixels when the cell's pixels are coarser (pyramid levels), which nearest would alias."""
    if pixel_size > BANDS[band].resolution_m:
        return Resampling.average
    return Resampling[configured]


def read_aligned(
    src, index: int, cell: Cell, nodata: float | None, method: Resampling, out: np.ndarray
) -> bool:
    """Fill ``out`` with a windowed read when the band's grid lines up with the cell's.

    When the band's pixels line up with the cell's (same CRS, north up, the cell's edges on
    the band's pixel edges, wholly inside it) the cell is a whole-pixel window of the band,
    read and scaled by a whole factor (nearest up, average down) by GDAL directly, several
    times faster than a warp. Any other case returns False and the caller warps.
    """
    t = src.transform
    res = t.a
    if src.crs != cell.crs or t.b or t.d or t.e != -res:
        return False
    up = method == Resampling.nearest and res >= cell.pixel_size
    down = method == Resampling.average and res <= cell.pixel_size
    if not (up or down):
        return False
    col, row = (cell.xmin - t.c) / res, (t.f - cell.ymax) / res
    width, height = cell.width * cell.pixel_size / res, cell.height * cell.pixel_size / res
    if not all(float(v).is_integer() for v in (col, row, width, height)):
        return False
    inside = col >= 0 and row >= 0 and col + width <= src.width and row + height <= src.height
    if not inside:  # cells over the scene's edge: the warp fills the rest with no data
        return False
    window = rasterio.windows.Window(int(col), int(row), int(width), int(height))
    data = src.read(index, window=window, out_shape=cell.shape, resampling=method)
    out[...] = data
    if nodata is not None:
        out[data == nodata] = np.nan
    return True


def _bands_of_level(imagery: Mapping[str, Any]) -> tuple[str, ...]:
    bands = check_bands(imagery.get("bands", DEFAULT_BANDS))
    check_level(imagery.get("level"), bands)
    return bands


@dataclass
class LocalBackend:
    path: Path
    bands: tuple[str, ...] = DEFAULT_BANDS
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    band_order: tuple[str, ...] | None = None
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    resampling: str = "nearest"
    min_valid_fraction: float = 0.01
    concurrency: int = 1
    name: str = "local"
    simulated: bool = False
    _scenes: list[Scene] | None = None
    _handles: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def from_config(cls, imagery: Mapping[str, Any], threads: int = 1) -> LocalBackend:
        options = imagery.get("local") or {}
        if not options.get("path"):
            raise MinescanInputError(
                "config", "imagery.backend is local but imagery.local.path is not set"
            )
        return cls(
            path=Path(options["path"]),
            bands=_bands_of_level(imagery),
            patterns=tuple(options.get("patterns") or DEFAULT_PATTERNS),
            band_order=tuple(options["band_order"]) if options.get("band_order") else None,
            scale=float(options.get("scale", 1.0)),
            offset=float(options.get("offset", 0.0)),
            nodata=options.get("nodata"),
            resampling=str(imagery.get("resampling", "nearest")),
            min_valid_fraction=float(imagery.get("min_valid_fraction", 0.01)),
            concurrency=max(1, threads),
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": "local",
            "simulated": "false",
            "source": str(self.path),
            "dates": "as in the source files",
            "cloud_mask": "as in the source files",
            "resampling": self.resampling,
            "scale_offset": f"value * {self.scale:g} + {self.offset:g}",
        }

    def _dataset(self, path: Path):
        """The open raster, one handle per file and worker thread (a handle is not thread-safe;
        reopening it for every band of every cell costs more than reading the cell)."""
        handles = self._handles.__dict__.setdefault("open", {})
        if path not in handles:
            handles[path] = rasterio.open(path)
        return handles[path]

    def scenes(self) -> list[Scene]:
        if self._scenes is None:
            self._scenes = index_folder(self.path, self.patterns, self.band_order)
        return self._scenes

    def fetch(self, cell: Cell, mine: np.ndarray) -> CellImage:
        covering = [
            s
            for s in self.scenes()
            if _intersects(
                transform_bounds(s.crs, cell.crs, *s.bounds, densify_pts=21), cell.bounds
            )
        ]
        if not covering:
            raise CellSkipped("not_covered", f"no raster in {self.path} covers the cell")
        stacks = [self._warp_scene(scene, cell) for scene in covering]
        data = stacks[0] if len(stacks) == 1 else np.nanmedian(np.stack(stacks), axis=0)
        valid = np.all(np.isfinite(data), axis=0)
        fraction = float(valid.mean())
        if fraction < self.min_valid_fraction:
            raise CellSkipped(
                "no_data",
                f"{fraction:.1%} valid pixels in {[s.key for s in covering]} "
                f"(< {self.min_valid_fraction:.0%})",
            )
        tags = {**self.describe(), "scenes": ";".join(Path(s.key).name for s in covering)}
        shifted = [s for s in covering if s.offsets]
        if shifted:
            tags["offsets"] = ";".join(
                f"{Path(s.key).name}: " + ",".join(f"{b}{v:+d}" for b, v in s.offsets.items())
                for s in shifted
            )
        return CellImage(self.bands, to_uint16_reflectance(data, valid), tags)

    def _warp_scene(self, scene: Scene, cell: Cell) -> np.ndarray:
        missing = [b for b in self.bands if b not in scene.bands]
        if missing:
            raise MinescanInputError(
                scene.key,
                f"cell {cell.cell_id}: band(s) {missing} missing from {scene.files()} "
                f"(has {sorted(scene.bands)})",
                "add the band files or remove the bands from imagery.bands",
            )
        out = np.full((len(self.bands), *cell.shape), np.nan, dtype=np.float32)
        for i, name in enumerate(self.bands):
            path, index = scene.bands[name]
            nodata = self.nodata if self.nodata is not None else scene.nodata.get(name)
            method = band_resampling(name, cell.pixel_size, self.resampling)
            try:
                src = self._dataset(path)
                if not read_aligned(src, index, cell, nodata, method, out[i]):
                    reproject(
                        source=rasterio.band(src, index),
                        destination=out[i],
                        src_nodata=nodata,
                        dst_transform=cell.transform,
                        dst_crs=cell.crs,
                        dst_nodata=np.nan,
                        resampling=method,
                    )
            except RasterioError as error:
                raise MinescanInputError(
                    path,
                    f"cell {cell.cell_id}: band {name} cannot be read ({error})",
                    "replace the corrupt or truncated file",
                ) from error
            if scene.offsets.get(name):  # the SAFE's own offset, before the user's scaling
                out[i] += scene.offsets[name]
        if (self.scale, self.offset) != (1.0, 0.0):
            out *= self.scale
            out += self.offset
        return out
