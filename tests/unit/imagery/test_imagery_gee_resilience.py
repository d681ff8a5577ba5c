"""Earth Engine failures that used to end a cell or a job: a computation out of memory or time
is asked again in smaller windows, down to a floor; a transient error while initialising is
retried; every request has a deadline."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from fixtures.fake_ee import FakeEE, pixel_value
from fixtures.imagery import cell_row

from minescan.cells import cell_from_row
from minescan.errors import MinescanInputError
from minescan.imagery.backends import gee
from minescan.imagery.errors import ImageryServiceError

CELL = cell_from_row(cell_row(32750, 511120, 9944740, 1280))
BANDS = ("B2", "B8", "B11")


def backend(fake: FakeEE | None, **options) -> gee.GeeBackend:
    imagery = {
        "backend": "gee",
        "bands": list(BANDS),
        "gee": {"project": "my-project", "backoff_s": 0.0, **options},
    }
    b = gee.GeeBackend.from_config(imagery)
    b._ee = fake
    return b


def truth(cell) -> np.ndarray:
    row0, col0 = round(-cell.ymax / 10), round(cell.xmin / 10)
    rows, cols = np.mgrid[row0 : row0 + cell.height, col0 : col0 + cell.width]
    return np.stack([pixel_value(rows, cols, b) for b in range(len(BANDS))])


@pytest.mark.parametrize("kind", ["memory", "timeout"])
def test_out_of_memory_or_time_is_asked_again_in_quarters(kind):
    fake = FakeEE([kind])
    image = backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 5  # the whole cell, then its four 64 px quarters
    sizes = [r["grid"]["dimensions"]["width"] for r in fake.requests]
    assert sizes == [128, 64, 64, 64, 64]
    assert np.array_equal(image.data, truth(CELL))  # every quarter where it belongs
    assert image.tags["split"].startswith("4 computePixels windows")


def test_a_quarter_that_fails_again_is_split_again_and_the_floor_ends_it():
    fake = FakeEE(["memory", "memory"])  # the cell, then its first quarter
    image = backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 1 + 1 + 4 + 3  # 32 px windows in the first quarter
    assert np.array_equal(image.data, truth(CELL))
    fake = FakeEE(["timeout"] * 3)
    with pytest.raises(ImageryServiceError, match=r"Computation timed out.*32 x 32 px"):
        backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 3  # 128, 64, then the 32 px floor: no endless splitting


def test_a_transient_error_while_initialising_is_retried(monkeypatch):
    fake = FakeEE()
    fake.init_answers = [ConnectionError("Connection reset by peer"), None]
    monkeypatch.setitem(sys.modules, "ee", fake)
    backend(None, timeout_s=120).prepare()
    assert len(fake.initialized) == 2
    assert fake.deadline_ms == 120_000  # every later request ends within its deadline
    assert fake.workload_tag == "minescan-l2a"  # the run's EECU, by tag, in the Cloud console


def test_an_invalid_workload_tag_is_named_before_any_job():
    from minescan.imagery.remote_check import check_imagery

    config = {"backend": "gee", "bands": ["B2"], "gee": {"project": "p", "workload_tag": "-x"}}
    with pytest.raises(MinescanInputError, match="imagery.gee.workload_tag '-x'"):
        check_imagery(config)


def test_a_permanent_error_while_initialising_is_not_retried(monkeypatch):
    fake = FakeEE()
    monkeypatch.setitem(sys.modules, "ee", fake)
    b = backend(None)
    b.project = None
    with pytest.raises(MinescanInputError, match="no project found"):
        b.prepare()
    assert len(fake.initialized) == 1
