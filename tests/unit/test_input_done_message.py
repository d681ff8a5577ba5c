"""The end-of-run message names the map's page only when it is there to open."""

from __future__ import annotations

from minescan.messages import done_message


def test_a_run_without_the_map_does_not_point_to_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = done_message("results", "results/logs", "results/map")
    assert "index.html" not in message
    assert "not built by this run; `snakemake --cores all map` builds it" in message
    assert message.startswith("minescan: done. Results are in results/ (logs: results/logs/).")


def test_a_run_with_the_map_names_its_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "map").mkdir(parents=True)
    (tmp_path / "results" / "map" / "index.html").write_text("<html></html>")
    message = done_message("results", "results/logs", "results/map")
    assert f"The map (opens offline): {tmp_path}/results/map/index.html" in message
