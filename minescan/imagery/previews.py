"""RGB previews with the polygons in semi-transparent red (the seed's ``3_gtiff_jpeg_s2``) and a
contact sheet per shard."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from minescan.atomic import atomic_path
from minescan.imagery.bands import RGB
from minescan.imagery.tile import read_tile
from minescan.outputs import write_csv

log = logging.getLogger(__name__)
RED = np.array([255, 0, 0], dtype=float)


def stretch(data: np.ndarray, valid: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """Per-band linear stretch between the given percentiles of the valid pixels, to uint8."""
    out = np.zeros(data.shape, dtype=np.uint8)
    if not valid.any():
        return out
    for i, band in enumerate(data.astype(float)):
        low, high = np.percentile(band[valid], percentiles)
        scaled = (band - low) / max(high - low, 1.0)
        out[i] = np.clip(scaled * 255, 0, 255).astype(np.uint8)
    out[:, ~valid] = 0
    return out


def overlay(rgb: np.ndarray, mine: np.ndarray, alpha: float) -> np.ndarray:
    """Blend red over the mine pixels and draw the polygon outlines in opaque red."""
    image = np.moveaxis(rgb, 0, -1).astype(float)
    inside = mine.astype(bool)
    image[inside] = (1 - alpha) * image[inside] + alpha * RED
    edge = inside & ~ndimage.binary_erosion(inside, border_value=1)
    image[edge] = RED
    return image.astype(np.uint8)


def make_preview(
    tile: str | Path,
    out: str | Path,
    percentiles: Sequence[float] = (2, 98),
    alpha: float = 0.4,
    quality: int = 90,
) -> bool:
    """Write the tile's true-colour JPEG with the mine band overlaid; True if it is simulated."""
    data = read_tile(tile, RGB)
    rgb = stretch(data.data, data.valid, percentiles)
    image = Image.fromarray(overlay(rgb, data.mine, alpha))
    simulated = data.tags.get("simulated") == "true"
    if simulated:
        stamp(image, "SIMULATED")
    with atomic_path(out) as tmp:
        image.save(tmp, format="JPEG", quality=quality)
    return simulated


def stamp(image: Image.Image, text: str) -> None:
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, image.width // 16))
    draw.text((6, 4), text, fill=(255, 255, 0), font=font, stroke_width=2, stroke_fill=(0, 0, 0))


def contact_sheet(
    previews: Sequence[tuple[str, str | Path]],
    out: str | Path,
    title: str,
    thumb_px: int = 160,
    columns: int = 8,
) -> Path:
    """All previews of a shard as thumbnails labelled with the cell names, in one JPEG."""
    label_px = 14
    columns = max(1, min(columns, len(previews) or 1))
    rows = max(1, math.ceil(len(previews) / columns))
    header = 24
    sheet = Image.new(
        "RGB", (columns * thumb_px, header + rows * (thumb_px + label_px)), (255, 255, 255)
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=11)
    draw.text((4, 4), title, fill=(0, 0, 0), font=ImageFont.load_default(size=14))
    for i, (name, path) in enumerate(previews):
        x = (i % columns) * thumb_px
        y = header + (i // columns) * (thumb_px + label_px)
        with Image.open(path) as preview:
            sheet.paste(preview.resize((thumb_px, thumb_px), Image.Resampling.LANCZOS), (x, y))
        draw.text((x + 2, y + thumb_px), name[: thumb_px // 6], fill=(0, 0, 0), font=font)
    if not previews:
        draw.text((4, header + 4), "no tile in this shard (see its status table)", fill=(0, 0, 0))
    out = Path(out)
    with atomic_path(out) as tmp:
        sheet.save(tmp, format="JPEG", quality=85)
    return out


def make_shard_previews(
    *,
    status: str | Path,
    tiles_dir: str | Path,
    previews_dir: str | Path,
    sheet: str | Path,
    shard: str,
    percentiles: Sequence[float] = (2, 98),
    alpha: float = 0.4,
    thumb_px: int = 160,
    columns: int = 8,
) -> list[Path]:
    """A preview per written tile of the shard (per its status table), and the contact sheet."""
    table = pd.read_csv(status)
    done = table[table["status"] == "ok"]
    out_dir = Path(previews_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, Path]] = []
    simulated = False
    for n, row in enumerate(done.itertuples(index=False), start=1):
        path = out_dir / f"{row.cell_id}.jpg"
        tile = Path(tiles_dir) / row.tile
        simulated = make_preview(tile, path, percentiles, alpha) or simulated
        written.append((str(row.name), path))
        if n % 20 == 0:
            log.info("shard %s: %d/%d previews", shard, n, len(done))
    skipped = len(table) - len(done)
    title = f"shard {shard}: {len(done)} tiles, {skipped} cells without imagery"
    if simulated:
        title = "SIMULATED imagery - " + title
    contact_sheet(written, sheet, title, thumb_px, columns)
    log.info("shard %s: %d previews and the contact sheet written", shard, len(written))
    return [path for _, path in written]


def index_sheets(sheets: Sequence[str | Path], out: str | Path) -> pd.DataFrame:
    """One row per contact sheet of a zoom level: shard, path and picture size."""
    rows = []
    for path in sheets:
        with Image.open(path) as image:
            rows.append(
                {
                    "shard": Path(path).stem,
                    "sheet": str(path),
                    "width": image.width,
                    "height": image.height,
                }
            )
    frame = pd.DataFrame(rows, columns=["shard", "sheet", "width", "height"])
    write_csv(frame, out)
    return frame
