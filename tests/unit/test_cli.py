"""The package's commands: every ``[project.scripts]`` entry of pyproject.toml names a function
of ``minescan.cli`` that hands the command line to its module and prints that module's usage."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def test_every_command_is_a_function_of_minescan_cli():
    assert SCRIPTS, "pyproject.toml declares no command"
    for name, target in SCRIPTS.items():
        module, _, function = target.partition(":")
        assert module == "minescan.cli", name
        assert callable(getattr(importlib.import_module(module), function)), name


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_help_prints_the_usage_of_the_command(name, monkeypatch, capsys):
    module, _, function = SCRIPTS[name].partition(":")
    monkeypatch.setattr("sys.argv", [name, "--help"])
    with pytest.raises(SystemExit) as stop:
        getattr(importlib.import_module(module), function)()
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out
