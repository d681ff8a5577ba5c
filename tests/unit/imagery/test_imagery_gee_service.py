"""Earth Engine as a real user meets it, against a fake that fails as Earth Engine does: errors
told by their real messages, computePixels' size limits, initialisation once per job with
Earth Engine's own reason, the project checked before any job, the run-wide request budget
(and the memory tiles jobs declare, which the same budget machinery carries)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures.fake_ee import MESSAGES, EEException, FakeEE, pixel_value
from fixtures.imagery import cell_row, rectangle_polygons, write_cells

from minescan.cells import cell_from_row
from minescan.errors import MinescanInputError
from minescan.imagery.backends import gee
from minescan.imagery.backends.gee_errors import is_transient
from minescan.imagery.backends.gee_limits import MAX_REQUEST_BYTES, request_bytes, split_windows
from minescan.imagery.bands import DEFAULT_BANDS
from minescan.imagery.composite import cell_peak_mb, tiles_job_mem_mb
from minescan.imagery.remote_check import check_imagery, ee_requests_per_job
from minescan.imagery.tiles import make_shard_tiles

REPO = Path(__file__).resolve().parents[3]
CELL = cell_from_row(cell_row(32750, 511120, 9944740, 1280))


def backend(fake: FakeEE | None, bands=DEFAULT_BANDS, **options) -> gee.GeeBackend:
    imagery = {
        "backend": "gee",
        "bands": list(bands),
        "gee": {"project": "my-project", "backoff_s": 0.0, **options},
    }
    b = gee.GeeBackend.from_config(imagery)
    b._ee = fake
    return b


@pytest.mark.parametrize("kind", ["concurrency", "capacity", "internal", "quota", "rate"])
def test_earth_engines_transient_messages_are_retried(kind):
    fake = FakeEE([kind, kind])
    image = backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 3 and image.valid.all()


@pytest.mark.parametrize("kind", ["band", "no_project"])
def test_user_and_limit_errors_are_not_retried(kind):
    fake = FakeEE([kind])
    with pytest.raises(EEException, match=MESSAGES[kind][:20].replace("(", r"\(")):
        backend(fake).fetch(CELL, None)
    assert len(fake.requests) == 1


def test_the_request_size_message_is_not_taken_for_a_503():
    # "50331648" holds "503": the old markers retried it six times, then blamed the network.
    error = EEException(
        "Total request size (92274688 bytes) must be less than or equal to 50331648 bytes."
    )
    assert not is_transient(error)
    assert is_transient(EEException(MESSAGES["capacity"]))
    assert is_transient(ConnectionResetError("Connection reset by peer"))


@pytest.mark.slow
def test_a_cell_larger_than_computepixels_allows_is_fetched_in_windows_and_mosaicked():
    # 16 km at 10 m, 11 bands: 56 MB, over the 48 MB that one request may return.
    big = cell_from_row(cell_row(32750, 510720, 9945600, 16000))
    assert request_bytes(big.width, big.height, 11) > MAX_REQUEST_BYTES
    fake = FakeEE()
    image = backend(fake).fetch(big, None)
    assert len(fake.requests) == 2  # the fewest within the limits; the fake refuses more
    for request in fake.requests:
        dims = request["grid"]["dimensions"]
        assert request_bytes(dims["width"], dims["height"], 11) <= MAX_REQUEST_BYTES
    rows, cols = np.mgrid[0 : big.height, 0 : big.width]
    row0, col0 = round(-big.ymax / 10), round(big.xmin / 10)
    for band in (0, 10):
        assert np.array_equal(image.data[band], pixel_value(rows + row0, cols + col0, band))
    assert image.tags["requests"].startswith("2 computePixels windows")


def test_windows_cover_the_grid_once_within_every_limit():
    for width, height, bands in [(1512, 1512, 11), (40000, 900, 3), (20000, 20000, 17)]:
        windows = split_windows(width, height, bands)
        for w in windows:
            assert max(w.width, w.height) <= 32768
            assert request_bytes(w.width, w.height, bands) <= MAX_REQUEST_BYTES
        # A grid of row bands x column bands, each contiguous from 0 to the edge: every pixel
        # in exactly one window.
        rows = sorted({(w.row, w.height) for w in windows})
        cols = sorted({(w.col, w.width) for w in windows})
        assert len(windows) == len(rows) * len(cols)
        for spans, size in ((rows, height), (cols, width)):
            assert spans[0][0] == 0 and sum(n for _, n in spans) == size
            assert all(a + n == b for (a, n), (b, _) in zip(spans, spans[1:], strict=False))
    assert len(split_windows(1512, 1512, 11)) == 1  # 47.96 MB: one request
    assert len(split_windows(40000, 900, 3)) == 5  # 216 MB in 48 MB requests
    assert len(split_windows(40000, 100, 3)) == 2  # 24 MB, but 32,768 px a side at most
    with pytest.raises(MinescanInputError, match="1024"):
        split_windows(10, 10, 1025)


def test_initialisation_runs_once_and_fails_the_job_at_once_with_earth_engines_reason(
    monkeypatch, tmp_path
):
    fake = FakeEE()
    monkeypatch.setitem(__import__("sys").modules, "ee", fake)
    b = backend(None, project=None)
    b.project = None  # as with imagery.gee.project: null
    for _ in range(2):
        with pytest.raises(MinescanInputError, match="no project found"):
            b.prepare()
    assert len(fake.initialized) == 1
    rows = [cell_row(32750, 511120, 9944740, 1280), cell_row(32750, 512400, 9944740, 1280)]
    with pytest.raises(MinescanInputError, match="no project found"):
        make_shard_tiles(
            cells=write_cells(tmp_path, rows),
            polygons=rectangle_polygons(tmp_path, 32750, [(511200, 9944000, 511600, 9944400)]),
            shard="s0",
            tiles_dir=tmp_path / "tiles",
            status=tmp_path / "status.csv",
            imagery={"backend": "gee", "bands": ["B2"]},
            backend=b,
        )
    assert fake.requests == []  # no cell was tried
    assert len(fake.initialized) == 1


def test_high_volume_endpoint_and_metadata_server_are_settings(monkeypatch):
    fake = FakeEE()
    monkeypatch.setitem(__import__("sys").modules, "ee", fake)
    monkeypatch.delenv("NO_GCE_CHECK", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    backend(None).prepare()
    assert fake.initialized[-1] == {
        "project": "my-project",
        "opt_url": "https://earthengine-highvolume.googleapis.com",
    }
    # Default right for cloud VMs: google-auth may ask the metadata server.
    assert "NO_GCE_CHECK" not in __import__("os").environ
    backend(None, high_volume=False, metadata_server=False).prepare()
    assert fake.initialized[-1]["opt_url"] is None
    assert __import__("os").environ["NO_GCE_CHECK"] == "true"


def test_project_and_budget_are_checked_before_any_job():
    with pytest.raises(MinescanInputError, match="imagery.gee.project is not set"):
        check_imagery({"backend": "gee", "bands": ["B2"], "gee": {"project": None}})
    with pytest.raises(MinescanInputError, match="max_requests"):
        check_imagery(
            {
                "backend": "gee",
                "bands": ["B2"],
                "gee": {"project": "p", "max_concurrency": 16, "max_requests": 10},
            }
        )
    ok = {"backend": "gee", "bands": ["B2"], "gee": {"project": "p", "max_concurrency": 8}}
    check_imagery(ok)
    assert ee_requests_per_job(ok) == 8
    assert ee_requests_per_job({"backend": "stac"}) == 0


def test_requests_in_flight_never_exceed_the_jobs_share(tmp_path):
    fake = FakeEE()
    b = backend(fake, bands=["B2"], max_concurrency=3)
    rows = [cell_row(32750, 511120 + 1280 * i, 9944740, 1280) for i in range(9)]
    status = make_shard_tiles(
        cells=write_cells(tmp_path, rows),
        polygons=rectangle_polygons(tmp_path, 32750, [(511200, 9944000, 511600, 9944400)]),
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery={"backend": "gee", "bands": ["B2"]},
        backend=b,
    )
    assert (status["status"] == "ok").all() and b.concurrency == 3
    assert 1 <= fake.peak_in_flight <= 3


def test_every_fetching_rule_declares_its_share_of_the_run_wide_budget():
    rules = (REPO / "workflow" / "rules").glob("*.smk")
    text = {path.name: path.read_text() for path in rules}
    for name, script in (("imagery.smk", "tiles.py"), ("pyramid.smk", "pyramid_exhaustive.py")):
        block = text[name][: text[name].index(f"../scripts/{script}")]
        block = block[block.rindex("\nrule ") :]
        assert "earthengine_requests=ee_requests_per_job(IMAGERY)" in block, script
    assert "workflow.global_resources.setdefault(EE_RESOURCE" in text["common.smk"]


@pytest.mark.slow
def test_snakemake_runs_no_more_jobs_than_the_budget_allows(tmp_path):
    """The mechanism of common.smk, in a workflow of its own: 4 jobs of 8 requests each under
    a budget of 16 run at most 2 at a time, although 4 cores are free."""
    imagery = {"backend": "gee", "gee": {"project": "p", "max_concurrency": 8, "max_requests": 16}}
    (tmp_path / "Snakefile").write_text(
        "from minescan.imagery.remote_check import EE_RESOURCE, ee_requests_per_job, gee_budget\n"
        f"IMAGERY = {imagery!r}\n"
        "workflow.global_resources.setdefault(EE_RESOURCE, gee_budget(IMAGERY)[1])\n"
        "rule all:\n    input: expand('o{i}.txt', i=range(4))\n"
        "rule one:\n    output: 'o{i}.txt'\n"
        "    resources: earthengine_requests=ee_requests_per_job(IMAGERY)\n"
        "    shell: 'date +%s.%N > {output}; sleep 1; date +%s.%N >> {output}'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "4", "-q"],
        cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    spans = [tuple(map(float, (tmp_path / f"o{i}.txt").read_text().split())) for i in range(4)]
    for start, _ in spans:
        running = sum(s <= start < e for s, e in spans)
        assert running <= 2, spans


def test_stac_jobs_declare_the_memory_their_cells_need():
    imagery = {"backend": "stac", "bands": list(DEFAULT_BANDS), "mem_mb": 1000,
               "stac": {"max_concurrency": 4, "max_items": 40}}  # fmt: skip
    per_cell = cell_peak_mb(2048, 2048, 11, 40, 128)
    assert tiles_job_mem_mb(imagery, 20480, 10) >= 4 * per_cell + 400
    assert tiles_job_mem_mb(imagery, 5120, 10) == 1000  # the configured figure when larger
    assert tiles_job_mem_mb({**imagery, "backend": "gee"}, 20480, 10) == 1000
