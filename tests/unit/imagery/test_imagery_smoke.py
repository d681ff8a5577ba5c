"""The backends' smoke test (run by users with credentials, not in CI): its cells and the
comparison that tells a systematic difference (an offset, blanked pixels) from agreement."""

from __future__ import annotations

import numpy as np

from minescan.imagery.smoke import compare, smoke_cells
from minescan.imagery.tile import CellImage

BANDS = ("B2", "B8A", "B12")


def image(data: np.ndarray) -> CellImage:
    return CellImage(BANDS, data.astype(np.uint16))


def test_cells_are_grid_cells_over_the_region_at_each_pixel_size():
    fine = smoke_cells(-69.07, -24.27, 4, 10)
    coarse = smoke_cells(-69.07, -24.27, 4, 80)
    assert [c.epsg for c in fine] == [32719] * 4  # Escondida: UTM 19 South
    assert all(c.xmin % 5120 == 0 and c.ymin % 5120 == 0 for c in fine)
    assert len({c.cell_id for c in fine}) == 4 and [c.cell_id for c in coarse] == [
        c.cell_id for c in fine
    ]
    assert fine[0].shape == (512, 512) and coarse[0].shape == (64, 64)


def test_an_offset_left_in_and_blanked_dark_pixels_show_as_differences():
    cell = smoke_cells(-69.07, -24.27, 1, 80)[0]
    rng = np.random.default_rng(0)
    a = rng.integers(200, 3000, size=(3, 64, 64))
    same = compare(cell, image(a), image(a))
    assert not any(r.differs(0.05, 0.15) for r in same)
    offset = compare(cell, image(a), image(a + 1000))  # 0.1 too bright in every band
    assert all(r.differs(0.05, 0.15) for r in offset)
    assert offset[0].median_b - offset[0].median_a == 1000
    blanked = a.copy()
    blanked[:, :32] = 0  # a real zero taken for no data: half the pixels lost
    rows = compare(cell, image(a), image(blanked))
    assert all(r.differs(0.05, 0.15) for r in rows) and rows[0].valid_b == 0.5
