"""Fast application of a sparse linear model to imagery: blocked float32 numpy.

Only the bands and features with non-zero weights are computed. The model is compiled once:
raw-band weights become one weight per band, and each normalized difference is rewritten as
``w (a - b) / (a + b) = 2w a / (a + b) - w`` (the ``-w`` goes into the intercept), i.e. one
add, one divide and one multiply-add per pair. A tiny offset added while converting the bands
to float32 makes ``0 / 0`` come out as 0.5, i.e. a normalized difference of 0, without a branch,
and leaves every reflectance >= 1 unchanged, so scores equal the reference model's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minescan.pixelmodels.features import TINY
from minescan.pixelmodels.model import LinearModel

LOG = logging.getLogger(__name__)
PROBABILITY_SCALE = 250  # uint8 probability: value / 250, 255 = no data
PROBABILITY_NODATA = 255
# Per-cell scores of a tile's probabilities (summarize) and what they cost.
SCORE_COLUMNS = (
    "cell_id",
    "valid_pixels",
    "mean_probability",
    "p95_probability",
    "p99_probability",
    "max_probability",
    "detected_fraction",
    "mine_fraction",
    "probability_path",
    "model_seconds",
)


@dataclass
class CompiledModel:
    """A sparse linear model reduced to per-band weights and normalized-difference terms."""

    bands: list[str]
    band_weights: np.ndarray  # float32, one per band (0 where the band only enters pairs)
    pairs: list[tuple[int, int, np.float32]]  # (index of a, index of b, 2 w)
    intercept: np.float32
    link: str
    output_scale: np.float32
    output_offset: np.float32

    @classmethod
    def from_model(cls, model: LinearModel) -> CompiledModel:
        sparse = model.sparse()
        bands = sparse.bands
        index = {b: i for i, b in enumerate(bands)}
        band_weights = np.zeros(len(bands), dtype=np.float64)
        pairs = []
        intercept = float(sparse.intercept)
        for feature, w in zip(sparse.features, sparse.weights, strict=True):
            if feature.b is None:
                band_weights[index[feature.a]] += w
            else:
                pairs.append((index[feature.a], index[feature.b], np.float32(2 * w)))
                intercept -= w
        return cls(
            bands,
            band_weights.astype(np.float32),
            pairs,
            np.float32(intercept),
            model.link,
            np.float32(model.output_scale),
            np.float32(model.output_offset),
        )

    def probability_block(
        self, block: np.ndarray, out: np.ndarray, work: np.ndarray | None = None
    ) -> np.ndarray:
        """Probabilities for ``block`` (len(bands), n) of raw band values into ``out`` (n,).

        ``work`` is an optional (len(bands) + 2, n) float32 scratch buffer to reuse.
        """
        n = block.shape[1]
        if work is None or work.shape[1] < n:
            work = np.empty((len(self.bands) + 2, n), dtype=np.float32)
        x = work[: len(self.bands), :n]
        den = work[-2, :n]
        tmp = work[-1, :n]
        np.add(block, TINY, out=x, dtype=np.float32, casting="unsafe")
        acc = out[:n]
        acc.fill(self.intercept)
        for k, w in enumerate(self.band_weights):
            if w != 0:
                np.multiply(x[k], w, out=tmp)
                acc += tmp
        for ia, ib, w2 in self.pairs:
            np.add(x[ia], x[ib], out=den)
            np.divide(x[ia], den, out=tmp)
            tmp *= w2
            acc += tmp
        if self.link == "logistic":
            np.negative(acc, out=acc)
            with np.errstate(over="ignore"):  # exp -> inf gives probability 0, as it should
                np.exp(acc, out=acc)
            acc += 1
            np.reciprocal(acc, out=acc)
        else:
            acc *= self.output_scale
            acc += self.output_offset
            np.clip(acc, 0, 1, out=acc)
        return acc

    def probability(self, stack: np.ndarray, block_pixels: int = 65536) -> np.ndarray:
        """Probabilities of a (len(bands), ...) array of band values, streamed in blocks."""
        shape = stack.shape[1:]
        flat = stack.reshape(len(self.bands), -1)
        out = np.empty(flat.shape[1], dtype=np.float32)
        work = np.empty((len(self.bands) + 2, min(block_pixels, flat.shape[1])), np.float32)
        for start in range(0, flat.shape[1], block_pixels):
            stop = min(start + block_pixels, flat.shape[1])
            self.probability_block(flat[:, start:stop], out[start:stop], work)
        return out.reshape(shape)


def quantize_probability(probability: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """uint8 probabilities (p x 250, rounded), 255 where the pixel has no data."""
    out = np.rint(probability * PROBABILITY_SCALE).astype(np.uint8)
    out[~valid] = PROBABILITY_NODATA
    return out


def _row_windows(height: int, width: int, block_pixels: int) -> Iterator[tuple[int, int]]:
    rows = max(1, block_pixels // max(width, 1))
    for start in range(0, height, rows):
        yield start, min(start + rows, height)


def probability_tile(
    tile_path: str | Path,
    out_path: str | Path,
    compiled: CompiledModel,
    threshold: float,
    *,
    block_pixels: int = 65536,
    tags: dict[str, str] | None = None,
) -> dict:
    """Write the probability COG of one tile; return its per-cell summary row."""
    import rasterio
    from rasterio.windows import Window

    from minescan.atomic import atomic_path

    with rasterio.open(tile_path) as src:
        names = list(src.descriptions)
        missing = [b for b in compiled.bands if b not in names]
        if missing:
            raise KeyError(f"{tile_path}: tile lacks bands {missing} needed by the model")
        indexes = [names.index(b) + 1 for b in compiled.bands]
        mine_index = names.index("_mine") + 1 if "_mine" in names else None
        started = time.perf_counter()
        prob = np.empty((src.height, src.width), dtype=np.float32)
        valid = np.empty((src.height, src.width), dtype=bool)
        mine = np.zeros((src.height, src.width), dtype=bool)
        for r0, r1 in _row_windows(src.height, src.width, block_pixels):
            window = Window(0, r0, src.width, r1 - r0)
            stack = src.read(indexes, window=window)
            valid[r0:r1] = np.all(stack != 0, axis=0)
            prob[r0:r1] = compiled.probability(stack, block_pixels)
            if mine_index is not None:
                mine[r0:r1] = src.read(mine_index, window=window) > 0
        profile = {
            "driver": "COG",
            "width": src.width,
            "height": src.height,
            "count": 1,
            "dtype": "uint8",
            "crs": src.crs,
            "transform": src.transform,
            "nodata": PROBABILITY_NODATA,
            "compress": "zstd",
            "level": 1,
            "blocksize": 256,
            "overviews": "AUTO" if max(src.shape) > 1024 else "NONE",
        }
        cell_id = src.tags().get("cell_id", Path(tile_path).stem)
        seconds = time.perf_counter() - started
    with atomic_path(out_path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(quantize_probability(prob, valid), 1)
        dst.descriptions = ("mine_probability",)
        dst.scales = (1.0 / PROBABILITY_SCALE,)
        dst.update_tags(cell_id=cell_id, scale=f"probability x {PROBABILITY_SCALE}", **(tags or {}))
    p = prob[valid]
    row = summarize(cell_id, p, mine[valid], threshold, str(out_path))
    # read and model time, without the write: what a screen costs per cell
    row["model_seconds"] = float(seconds)
    return row


def summarize(
    cell_id: str, probability: np.ndarray, mine: np.ndarray, threshold: float, path: str
) -> dict:
    n = int(probability.size)
    return {
        "cell_id": cell_id,
        "valid_pixels": n,
        "mean_probability": float(probability.mean()) if n else float("nan"),
        "p95_probability": float(np.quantile(probability, 0.95)) if n else float("nan"),
        "p99_probability": float(np.quantile(probability, 0.99)) if n else float("nan"),
        "max_probability": float(probability.max()) if n else float("nan"),
        "detected_fraction": float((probability >= threshold).mean()) if n else float("nan"),
        "mine_fraction": float(mine.mean()) if n else float("nan"),
        "probability_path": path,
    }


def probability_tiles(
    tile_paths: Sequence[str | Path],
    out_dir: str | Path,
    model: LinearModel,
    threshold: float,
    *,
    block_pixels: int = 65536,
    tags: dict[str, str] | None = None,
) -> list[dict]:
    compiled = CompiledModel.from_model(model)
    LOG.info(
        "applying the model to %d tiles with %d bands, %d band terms, %d pair terms",
        len(tile_paths),
        len(compiled.bands),
        int(np.count_nonzero(compiled.band_weights)),
        len(compiled.pairs),
    )
    rows = []
    for i, path in enumerate(tile_paths):
        out = Path(out_dir) / f"{Path(path).stem}.tif"
        rows.append(
            probability_tile(path, out, compiled, threshold, block_pixels=block_pixels, tags=tags)
        )
        if (i + 1) % 10 == 0 or i + 1 == len(tile_paths):
            LOG.info("  %d/%d tiles done", i + 1, len(tile_paths))
    return rows
