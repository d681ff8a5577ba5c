"""Chips folders a user gets wrong: the table row by row (editor lines), paths outside the
folder, corrupt, truncated, pickled and misshapen arrays; each named before any job."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.chips import tiny_chips

from minescan.chips.load import load_chips
from minescan.chips.table import check_chips_folder, check_chips_inputs, read_chip
from minescan.errors import MinescanInputError


def _edit(folder, row: int, **values) -> None:
    table = pd.read_csv(folder / "chips.csv", dtype=str, keep_default_na=False)
    for column, value in values.items():
        table.loc[row, column] = value
    table.to_csv(folder / "chips.csv", index=False)


def _refused(folder, message: str) -> MinescanInputError:
    with pytest.raises(MinescanInputError, match=message) as error:
        check_chips_folder(folder)
    with pytest.raises(MinescanInputError, match=message):
        load_chips(folder)
    return error.value


def test_the_tiny_folder_passes(tmp_path):
    assert len(check_chips_folder(tiny_chips(tmp_path))) == 6


def test_a_non_numeric_label_names_only_its_row(tmp_path):
    folder = tiny_chips(tmp_path)
    _edit(folder, 3, label="yes")
    error = _refused(folder, r"chips.csv: line 5: label 'yes' is not 0 or 1")
    assert "lines" not in error.problem


@pytest.mark.parametrize("label", ["", "2", "-1", "0.5", "nan"])
def test_other_bad_labels_name_their_row(tmp_path, label):
    folder = tiny_chips(tmp_path)
    _edit(folder, 1, label=label)
    _refused(folder, f"line 3: label '{label}' is not 0 or 1")


@pytest.mark.parametrize(
    ("column", "value"),
    [("latitude", ""), ("longitude", "west"), ("latitude", "95"), ("longitude", "inf")],
)
def test_blank_or_bad_coordinates_name_their_row(tmp_path, column, value):
    folder = tiny_chips(tmp_path)
    _edit(folder, 2, **{column: value})
    _refused(folder, f"line 4: {column} '{value}' is not a number")


@pytest.mark.parametrize(
    "path",
    ["../../../../etc/passwd", "/etc/passwd", "images/../../outside.npy", "images/../../../x"],
)
def test_a_path_outside_the_folder_is_refused_with_its_row(tmp_path, path):
    folder = tiny_chips(tmp_path / "chips")
    _edit(folder, 0, t0_path=path)
    error = _refused(folder, f"line 2: t0_path '{path}' points outside the folder")
    assert "relative to the table's folder" in error.remedy


def test_a_path_inside_the_folder_with_dots_is_fine(tmp_path):
    folder = tiny_chips(tmp_path)
    _edit(folder, 0, t0_path="images/../images/p0_t0.npy")
    check_chips_folder(folder)


def test_a_missing_image_names_its_row(tmp_path):
    folder = tiny_chips(tmp_path)
    (folder / "images" / "p2_t1.npy").unlink()
    with pytest.raises(MinescanInputError, match="line 4: t1_path 'images/p2_t1.npy' not found"):
        check_chips_folder(folder)


def test_a_truncated_array_is_named(tmp_path):
    folder = tiny_chips(tmp_path)
    target = folder / "images" / "p1_t0.npy"
    target.write_bytes(target.read_bytes()[:5000])
    error = _refused(folder, "p1_t0.npy: is truncated")
    assert "could only read" not in str(error)


@pytest.mark.parametrize("content", [b"", b"garbage that is not numpy", b"\x93NUMPY\x01\x00zz"])
def test_a_corrupt_array_is_named(tmp_path, content):
    folder = tiny_chips(tmp_path)
    (folder / "images" / "p1_t1.npy").write_bytes(content)
    _refused(folder, "p1_t1.npy: is not a readable .npy array")


def test_a_pickled_array_is_never_loaded(tmp_path):
    folder = tiny_chips(tmp_path)
    objects = np.empty((48, 48, 6), dtype=object)
    np.save(folder / "images" / "p1_t1.npy", objects, allow_pickle=True)
    _refused(folder, "p1_t1.npy: holds Python objects")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((48, 48, 4), np.int16), r"shape \(48, 48, 4\), expected"),
        (np.zeros((48, 48), np.int16), r"shape \(48, 48\), expected"),
        (np.zeros((48, 48, 6), "U2"), "dtype <U2 is not numeric"),
    ],
)
def test_misshapen_arrays_are_named(tmp_path, array, message):
    folder = tiny_chips(tmp_path)
    np.save(folder / "images" / "p4_t0.npy", array)
    _refused(folder, f"p4_t0.npy: {message}")


def test_chips_of_two_sizes_are_refused_before_any_job(tmp_path):
    folder = tiny_chips(tmp_path)
    np.save(folder / "images" / "p4_t0.npy", np.ones((32, 32, 6), np.int16))
    with pytest.raises(MinescanInputError, match=r"chips of different shapes: \(48, 48, 6\)"):
        check_chips_folder(folder)


def test_table_level_mistakes(tmp_path):
    folder = tiny_chips(tmp_path)
    (folder / "chips.csv").write_text("sample_id,label\n")
    _refused(folder, r"columns \['category', .*\] are missing")
    (folder / "chips.csv").write_bytes(b"\xff\xfe\x00garbage\n")
    _refused(folder, "cannot be read as CSV")
    (folder / "chips.csv").unlink()
    _refused(folder, "chips.csv: not found")


def test_read_chip_refuses_pickles_even_when_called_alone(tmp_path):
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(MinescanInputError, match="holds Python objects"):
        read_chip(tmp_path / "x.npy")


def test_a_scored_folder_must_exist_while_a_missing_chips_path_is_skipped(tmp_path):
    check_chips_inputs({"path": str(tmp_path / "absent"), "score": {}})
    with pytest.raises(MinescanInputError, match="chips.score.other: .* is not a folder"):
        check_chips_inputs({"path": str(tmp_path / "absent"), "score": {"other": "nowhere"}})


def _insert_blank_lines(table, after: list[int]) -> None:
    """Blank lines after the given editor lines (1 is the header), as people leave them."""
    lines = table.read_text().splitlines()
    for line in sorted(after, reverse=True):
        lines.insert(line, "" if line % 2 else "   ")
    table.write_text("\n".join(lines) + "\n")


def test_blank_lines_do_not_shift_the_line_of_later_rows(tmp_path):
    folder = tiny_chips(tmp_path)
    _edit(folder, 3, label="yes")  # line 5 of the file as written
    _insert_blank_lines(folder / "chips.csv", after=[2, 3])  # now line 7 in an editor
    text = (folder / "chips.csv").read_text().splitlines()
    assert "yes" in text[6]
    error = _refused(folder, r"chips.csv: line 7: label 'yes' is not 0 or 1")
    assert "lines" not in error.problem


def test_a_table_with_blank_lines_reads_every_row_once(tmp_path):
    folder = tiny_chips(tmp_path)
    _insert_blank_lines(folder / "chips.csv", after=[1, 4, 7])
    assert len(check_chips_folder(folder)) == 6
    assert len(load_chips(folder).meta) == 12
