"""A smoke test of the remote backends for users with access (not run in CI): a handful of cells
over a known mining region fetched from Earth Engine and from a STAC API, at 10 m and 80 m,
with each band's median and valid fraction compared between them.

    python -m minescan.imagery.smoke --project MY_EE_PROJECT [--lon -69.07 --lat -24.27]
        [--cells 4] [--dates 2023-01-01 2024-01-01] [--provider earth-search]

The default region is Escondida (Chile): a dry site with large tailings ponds, whose dark
water shows a real reflectance of 0 being taken for no data, and a baseline offset left in or
taken out twice, as a difference of about 1000 in every band. Each wrong-pixel fault the
backends had shows here as a systematic difference. Exit status 1 when any band differs beyond
the tolerances.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from minescan.cells import Cell, cell_from_row
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.errors import CellSkipped
from minescan.imagery.tile import CellImage
from minescan.utm import utm_epsg

CELL_M = 5120


@dataclass(frozen=True)
class BandComparison:
    cell_id: str
    pixel_m: float
    band: str
    median_a: float
    median_b: float
    valid_a: float
    valid_b: float

    def differs(self, median_tolerance: float, valid_tolerance: float) -> bool:
        scale = max(abs(self.median_a), abs(self.median_b), 1.0)
        off = abs(self.median_a - self.median_b) / scale > median_tolerance
        return off or abs(self.valid_a - self.valid_b) > valid_tolerance


def compare(cell: Cell, a: CellImage, b: CellImage) -> list[BandComparison]:
    """Each band's median over the pixels valid in both images, and each image's valid share."""
    both = a.valid & b.valid
    rows = []
    for index, band in enumerate(a.bands):
        j = b.bands.index(band)
        pick_a, pick_b = a.data[index][both], b.data[j][both]
        rows.append(
            BandComparison(
                cell.cell_id,
                cell.pixel_size,
                band,
                float(np.median(pick_a)) if pick_a.size else math.nan,
                float(np.median(pick_b)) if pick_b.size else math.nan,
                float(a.valid.mean()),
                float(b.valid.mean()),
            )
        )
    return rows


def smoke_cells(lon: float, lat: float, count: int, pixel_m: float) -> list[Cell]:
    """``count`` neighbouring cells of minescan's grid (5120 m, UTM) from ``lon``, ``lat``."""
    from pyproj import Transformer

    epsg = int(utm_epsg(np.array([lon]), np.array([lat]))[0])
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    x0, y0 = math.floor(x / CELL_M) * CELL_M, math.floor(y / CELL_M) * CELL_M
    side = math.ceil(math.sqrt(count))
    cells = []
    for k in range(count):
        xmin, ymin = x0 + (k % side) * CELL_M, y0 - (k // side) * CELL_M
        row = {
            "cell_id": f"smoke_{epsg}_{xmin}_{ymin}",
            "name": f"smoke {k}",
            "zoom": 14,
            "epsg": epsg,
            "xmin": xmin,
            "ymin": ymin,
            "xmax": xmin + CELL_M,
            "ymax": ymin + CELL_M,
        }
        cells.append(cell_from_row(row, pixel_size=pixel_m))
    return cells


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="Earth Engine Cloud project")
    parser.add_argument("--lon", type=float, default=-69.07)
    parser.add_argument("--lat", type=float, default=-24.27)
    parser.add_argument("--cells", type=int, default=4)
    parser.add_argument("--dates", nargs=2, default=["2023-01-01", "2024-01-01"])
    parser.add_argument("--provider", default="earth-search")
    parser.add_argument("--pixel-m", type=float, nargs="+", default=[10.0, 80.0])
    parser.add_argument("--median-tolerance", type=float, default=0.05)
    parser.add_argument("--valid-tolerance", type=float, default=0.15)
    args = parser.parse_args(argv)

    from minescan.imagery.backends.gee import GeeBackend
    from minescan.imagery.backends.stac import StacBackend

    imagery = {
        "bands": list(DEFAULT_BANDS),
        "dates": args.dates,
        "gee": {"project": args.project},
        "stac": {"provider": args.provider},
    }
    gee, stac = GeeBackend.from_config(imagery), StacBackend.from_config(imagery)
    gee.prepare()
    stac.prepare()
    flagged = 0
    print("cell pixel_m band gee_median stac_median gee_valid stac_valid")
    for pixel_m in args.pixel_m:
        cells = smoke_cells(args.lon, args.lat, args.cells, pixel_m)
        stac.plan(cells)
        for cell in cells:
            try:
                a, b = gee.fetch(cell, None), stac.fetch(cell, None)
            except CellSkipped as skipped:
                print(f"{cell.cell_id} {pixel_m:g}: skipped by a backend ({skipped})")
                continue
            for row in compare(cell, a, b):
                bad = row.differs(args.median_tolerance, args.valid_tolerance)
                flagged += bad
                print(
                    f"{row.cell_id} {row.pixel_m:g} {row.band} {row.median_a:.0f} "
                    f"{row.median_b:.0f} {row.valid_a:.2f} {row.valid_b:.2f}"
                    + ("  DIFFERS" if bad else "")
                )
    print(f"{flagged} band(s) differ beyond tolerance")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
