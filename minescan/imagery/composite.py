"""The per-pixel median of a masked uint16 time series, without float copies of the stack.

A float32 copy of every band and date, a stack, a concatenation and ``np.nanmedian`` (which
copies again) took about 3.3 GB for one 512 px cell of 11 bands and 40 dates. Here one band's
series (dates x rows x cols, uint16, 0 = masked or no data) is sorted in place along the dates,
so the masked zeros come first, and the median is read off at each pixel's own count of valid
dates: the same values as ``np.nanmedian`` (the mean of the two middle values for an even
count), at 2 bytes per value and no copy of the series.
"""

from __future__ import annotations

import numpy as np

# What one cell holds at its peak, per value of one band's series (dates x rows x cols): the
# series as read (uint16), the copy into one series when the items have more than one offset
# (uint16), the clear mask kept for the block (bool) and the no-data mask of the band being
# masked (bool); the SCL read (uint8) is gone by then. Measured with tracemalloc: 49 MB for a
# 512 px cell of 40 dates and 3 bands, against 71 MB from these figures
# (tests/unit/imagery/test_imagery_stac_services.py; bench_stac_composite.py measures 11 bands).
BYTES_PER_SERIES_VALUE = 6
# Per output pixel and band: the float32 medians and the uint16 tile.
BYTES_PER_OUTPUT_VALUE = 4 + 2 + 4
SCL_PIXEL_M = 20  # the scene classification's own pixel size: coarser cells are read at it
JOB_BASE_MB = 400  # interpreter, GDAL, odc-stac, pandas and geopandas of one tiles job


def masked_median(series: np.ndarray) -> np.ndarray:
    """Median over axis 0 of the non-zero values of ``series`` (uint16, sorted in place);
    float32 with NaN where no date has a value."""
    if series.dtype != np.uint16:
        raise TypeError(f"masked_median expects uint16, got {series.dtype}")
    dates = series.shape[0]
    counts = np.count_nonzero(series, axis=0)
    series.sort(axis=0)  # in place: zeros (masked) first, then the valid values in order
    first = dates - counts
    lower = np.minimum(first + (counts - 1) // 2, dates - 1)
    upper = np.minimum(first + counts // 2, dates - 1)
    low = np.take_along_axis(series, lower[np.newaxis], axis=0)[0].astype(np.float32)
    high = np.take_along_axis(series, upper[np.newaxis], axis=0)[0].astype(np.float32)
    median = (low + high) * np.float32(0.5)
    median[counts == 0] = np.nan
    return median


def block_mean(values: np.ndarray, factor: int, min_share: float) -> np.ndarray:
    """Mean of the finite values of each ``factor`` x ``factor`` block of a (rows, cols) array;
    NaN where fewer than ``min_share`` of the block's values are finite (mostly masked)."""
    rows, cols = values.shape[0] // factor, values.shape[1] // factor
    blocks = values[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor)
    finite = np.isfinite(blocks)
    count = finite.sum(axis=(1, 3))
    total = np.where(finite, blocks, 0).sum(axis=(1, 3), dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (total / count).astype(np.float32)
    mean[count < max(1, min_share * factor * factor)] = np.nan
    return mean


def series_rows(width: int, height: int, dates: int, block_mb: float) -> int:
    """Rows of one band's series read at a time so that it stays within ``block_mb``."""
    per_row = max(1, dates * width * 2)
    return int(max(1, min(height, (block_mb * 1e6) // per_row)))


def cell_peak_mb(
    width: int, height: int, bands: int, dates: int, block_mb: float, factor: int = 1
) -> float:
    """Peak memory of one cell in MB: one block of one band's series at the read grid
    (``factor`` times finer than the cell's pixels, for coarse pyramid levels), and the
    composite of all bands at the cell's pixels."""
    fine_w, fine_h = width * factor, height * factor
    rows = series_rows(fine_w, fine_h, dates, block_mb)
    series = dates * rows * fine_w * BYTES_PER_SERIES_VALUE
    output = bands * height * width * BYTES_PER_OUTPUT_VALUE
    return (series + output) / 1e6


def job_mem_mb(
    width: int,
    height: int,
    bands: int,
    dates: int,
    concurrency: int,
    block_mb: float,
    factor: int = 1,
) -> int:
    """Memory to declare for a tiles job fetching ``concurrency`` such cells at once."""
    per_cell = cell_peak_mb(width, height, bands, dates, block_mb, factor)
    return int(JOB_BASE_MB + concurrency * per_cell * 1.25 + 0.5)  # 25 % for GDAL's buffers


def tiles_job_mem_mb(
    imagery: dict, cell_size_m: float, pixel_size_m: float, threads: int = 1
) -> int:
    """The memory a tiles job declares: ``imagery.mem_mb``, or with the stac backend what its
    cells need at once (``job_mem_mb``) when that is more, from the same figures the
    compositing is measured by."""
    configured = int(imagery.get("mem_mb", 4000))
    if imagery.get("backend") != "stac":
        return configured
    options = imagery.get("stac") or {}
    side = int(round(cell_size_m / pixel_size_m))
    factor = int(pixel_size_m // SCL_PIXEL_M) if pixel_size_m > SCL_PIXEL_M else 1
    needed = job_mem_mb(
        side,
        side,
        len(imagery.get("bands") or ()),
        int(options.get("max_items", 40)),
        max(1, int(options.get("max_concurrency", threads))),
        float(options.get("block_mb", 128)),
        max(1, factor),
    )
    return max(configured, needed)
