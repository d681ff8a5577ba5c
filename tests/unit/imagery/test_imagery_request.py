"""The tiles rule's params: only what pixels depend on, in an order-free form."""

from __future__ import annotations

import copy

from minescan.imagery.request import backend_options, fetch_settings, tile_request

IMAGERY = {
    "backend": "stac",
    "bands": ["B2", "B3"],
    "epochs": {"2019": ["2019-01-01", "2020-01-01"]},
    "epoch": "2019",
    "max_cloud_cover": 60,
    "min_valid_fraction": 0.01,
    "resampling": "nearest",
    "threads": 2,
    "mem_mb": 4000,
    "runtime_min": 120,
    "cog": {"compress": "deflate"},
    "previews": {"alpha": 0.4},
    "synthetic": {"seed": 0, "noise": 0.03},
    "local": {"path": None},
    "stac": {"provider": "earth-search", "max_items": 40, "retries": 5, "max_concurrency": 4},
    "gee": {"project": None, "retries": 6},
}
DATES = ["2019-01-01", "2020-01-01"]


def test_request_holds_what_pixels_depend_on_and_nothing_else():
    request = tile_request(IMAGERY, DATES)
    assert request == {
        "backend": "stac",
        "bands": ["B2", "B3"],
        "compress": "deflate",
        "dates": DATES,
        "max_cloud_cover": 60,
        "min_valid_fraction": 0.01,
        "resampling": "nearest",
        "stac": {"max_items": 40, "provider": "earth-search"},
    }


def test_resources_looks_fetch_settings_and_other_backends_leave_the_request_alone():
    changed = copy.deepcopy(IMAGERY)
    changed.update(threads=8, mem_mb=1, runtime_min=1)
    changed["previews"]["alpha"] = 0.9
    changed["stac"].update(retries=1, max_concurrency=32)
    changed["gee"]["retries"] = 0
    changed["local"]["path"] = "/data"
    assert repr(tile_request(changed, DATES)) == repr(tile_request(IMAGERY, DATES))


def test_key_order_does_not_change_the_request():
    shuffled = {k: IMAGERY[k] for k in reversed(list(IMAGERY))}
    shuffled["stac"] = {k: IMAGERY["stac"][k] for k in reversed(list(IMAGERY["stac"]))}
    assert repr(tile_request(shuffled, DATES)) == repr(tile_request(IMAGERY, DATES))


def test_an_epoch_or_a_backend_option_changes_the_request():
    assert tile_request(IMAGERY, ["2023-01-01", "2024-01-01"]) != tile_request(IMAGERY, DATES)
    changed = copy.deepcopy(IMAGERY)
    changed["stac"]["max_items"] = 5
    assert tile_request(changed, DATES) != tile_request(IMAGERY, DATES)


def test_fetch_settings_are_not_a_builtin_type_and_rejoin_the_backend_options():
    fetch = fetch_settings(IMAGERY)
    # Snakemake compares params of builtin types only; this one must stay out of it.
    assert not isinstance(fetch, dict | list | tuple | str | int | float)
    assert dict(fetch) == {"retries": 5, "max_concurrency": 4}
    options = backend_options(tile_request(IMAGERY, DATES), fetch)
    assert options["stac"] == {
        "max_items": 40,
        "provider": "earth-search",
        "retries": 5,
        "max_concurrency": 4,
    }
