"""CSV outputs: atomic, and no cell that a spreadsheet would run as a formula."""

import csv

import numpy as np
import pandas as pd
import pytest

from sklearn_palsy.utils._csv import escape_formula, escape_formulas, write_csv_atomic


@pytest.mark.parametrize("cell", [
    "=1+2", "+A1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
    "=HYPERLINK(\"http://example.invalid\",\"x\")", "=cmd|' /C calc'!A0",
])
def test_formula_cells_get_a_leading_quote(cell):
    assert escape_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["P01", "a=b", "-1", "+0.5", "-3e-4", ".5", "", "'x"])
def test_other_cells_are_left_alone(cell):
    assert escape_formula(cell) == cell


def test_the_written_file_escapes_text_cells_and_headers_and_keeps_numbers(tmp_path):
    frame = pd.DataFrame({
        "image": ["=evil.png", "ok.png"],
        "patient_id": ["@P1", "P2"],
        "label": ["-palsy", "control"],
        "score": [-0.25, 1.5],
        "count": np.array([-3, 4]),
        "=header": ["a", "b"],
    })
    path = tmp_path / "out.csv"
    write_csv_atomic(frame, path)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["image", "patient_id", "label", "score", "count", "'=header"]
    assert rows[1] == ["'=evil.png", "'@P1", "'-palsy", "-0.25", "-3", "a"]
    back = pd.read_csv(path)
    assert back["score"].tolist() == [-0.25, 1.5]
    assert back["count"].tolist() == [-3, 4]
    # The caller's frame is not changed.
    assert frame["image"][0] == "=evil.png"


def test_escaping_keeps_categorical_and_missing_cells():
    frame = pd.DataFrame({"side": pd.Categorical(["left", None, "=right"]),
                          "note": ["=x", None, "y"]})
    escaped = escape_formulas(frame)
    assert escaped["note"][0] == "'=x" and escaped["note"].isna().tolist() == [
        False, True, False]
    assert escaped["side"].tolist()[::2] == ["left", "'=right"]
    assert escaped["side"].isna().tolist() == [False, True, False]
