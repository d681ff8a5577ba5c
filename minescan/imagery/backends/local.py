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
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, transform_bounds

from minescan.cells import Cell
from minescan.errors import MinescanInputError
from minescan.imagery.backends.local_read import band_resampling, read_band
from minescan.imagery.backends.safe import granule_of, in_safe, read_product, safe_band
from minescan.imagery.bands import (
    DEFAULT_BANDS,
    MINE_BAND,
    NODATA,
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
    _footprints: dict[tuple[str, int], tuple[float, ...]] = field(default_factory=dict, repr=False)

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
        covering = [s for s in self.scenes() if _intersects(self._footprint(s, cell), cell.bounds)]
        if not covering:
            raise CellSkipped("not_covered", f"no raster in {self.path} covers the cell")
        if len(covering) == 1 and self._exact(covering[0], cell):
            data, valid = self._read_exact(covering[0], cell)
        else:
            stacks = [self._warp_scene(scene, cell) for scene in covering]
            values = stacks[0] if len(stacks) == 1 else np.nanmedian(np.stack(stacks), axis=0)
            valid = np.all(np.isfinite(values), axis=0)
            data = None
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
        if data is None:
            data = to_uint16_reflectance(values, valid, overwrite=True)
        return CellImage(self.bands, data, tags)

    def _footprint(self, scene: Scene, cell: Cell) -> tuple[float, ...]:
        """The scene's bounds in the cell's CRS, once per scene and CRS (not per cell: an
        archive of many scenes would otherwise cost a reprojection per scene and cell)."""
        key = (scene.key, cell.epsg)
        if key not in self._footprints:
            self._footprints[key] = transform_bounds(
                scene.crs, cell.crs, *scene.bounds, densify_pts=21
            )
        return self._footprints[key]

    def _nodata(self, scene: Scene, name: str) -> float | None:
        return self.nodata if self.nodata is not None else scene.nodata.get(name)

    def _exact(self, scene: Scene, cell: Cell) -> bool:
        """Whether the tile holds the scene's numbers unchanged: uint16 bands with an integer
        no-data value, nearest resampling, no offset and no scaling. Such a scene is read as
        uint16 (``_read_exact``), without the float copies that scaling, offsets, medians of
        several scenes and averaging need (``_warp_scene``), to the same pixels."""
        if (self.scale, self.offset) != (1.0, 0.0) or any(scene.offsets.get(b) for b in self.bands):
            return False
        self._check_bands(scene, cell)
        for name in self.bands:
            nodata = self._nodata(scene, name)
            if nodata is None or not float(nodata).is_integer() or not 0 <= nodata <= 65535:
                return False
            if band_resampling(name, cell.pixel_size, self.resampling) != Resampling.nearest:
                return False
            path, index = scene.bands[name]
            if self._open(path, name, cell).dtypes[index - 1] != "uint16":
                return False
        return True

    def _read_exact(self, scene: Scene, cell: Cell) -> tuple[np.ndarray, np.ndarray]:
        """The scene's bands as uint16 on the cell's grid, and where every band has data; as
        ``to_uint16_reflectance`` makes them, valid numbers are at least 1 and no data is 0."""
        out = np.empty((len(self.bands), *cell.shape), dtype=np.uint16)
        valid = np.ones(cell.shape, dtype=bool)
        for i, name in enumerate(self.bands):
            nodata = int(self._nodata(scene, name))
            self._read(scene, name, cell, nodata, out[i])
            valid &= out[i] != nodata
        np.maximum(out, 1, out=out)
        out[:, ~valid] = NODATA
        return out, valid

    def _check_bands(self, scene: Scene, cell: Cell) -> None:
        missing = [b for b in self.bands if b not in scene.bands]
        if missing:
            raise MinescanInputError(
                scene.key,
                f"cell {cell.cell_id}: band(s) {missing} missing from {scene.files()} "
                f"(has {sorted(scene.bands)})",
                "add the band files or remove the bands from imagery.bands",
            )

    def _open(self, path: Path, name: str, cell: Cell):
        try:
            return self._dataset(path)
        except RasterioError as error:
            raise self._unreadable(path, name, cell, error) from error

    @staticmethod
    def _unreadable(path: Path, name: str, cell: Cell, error: Exception) -> MinescanInputError:
        return MinescanInputError(
            path,
            f"cell {cell.cell_id}: band {name} cannot be read ({error})",
            "replace the corrupt or truncated file",
        )

    def _read(
        self, scene: Scene, name: str, cell: Cell, nodata: float | None, out: np.ndarray
    ) -> None:
        path, index = scene.bands[name]
        src = self._open(path, name, cell)
        method = band_resampling(name, cell.pixel_size, self.resampling)
        try:
            read_band(src, index, cell, nodata, method, out)
        except RasterioError as error:
            raise self._unreadable(path, name, cell, error) from error

    def _warp_scene(self, scene: Scene, cell: Cell) -> np.ndarray:
        self._check_bands(scene, cell)
        out = np.full((len(self.bands), *cell.shape), np.nan, dtype=np.float32)
        for i, name in enumerate(self.bands):
            self._read(scene, name, cell, self._nodata(scene, name), out[i])
            if scene.offsets.get(name):  # the SAFE's own offset, before the user's scaling
                out[i] += scene.offsets[name]
        if (self.scale, self.offset) != (1.0, 0.0):
            out *= self.scale
            out += self.offset
        return out
