"""Tests of load_manifest and load_image_folder."""

import csv
import os
import re
import string
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sklearn_palsy.datasets import load_image_folder, load_manifest
from sklearn_palsy.exceptions import (
    MAX_LISTED,
    ManifestError,
    ManifestNotFoundError,
    PalsyError,
)


def _touch(folder, *names):
    """Write a few bytes to each named file; the loaders only check existence."""
    for name in names:
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # Each its own bytes: copies under two patients are warned about.
        path.write_bytes(b"\x89PNG not really " + name.encode())


def _manifest(folder, text, name="manifest.csv"):
    path = Path(folder) / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _rows_named(error):
    """The rows that start a line of the error message, in order."""
    return [int(row) for row in re.findall(r"^  line (\d+)", str(error), re.M)]


# --------------------------------------------------------------------------
# load_manifest: good manifests


def test_relative_paths_keep_row_order_ids_and_int_labels(tmp_path):
    _touch(tmp_path, "b.png", "a.png", "sub/c.jpg")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "b.png,1,007\n"
        "a.png,0,12\n"
        "sub/c.jpg,1,007\n",
    )
    data = load_manifest(path)
    assert data.X.dtype == object
    assert data.X.tolist() == [
        str(tmp_path / "b.png"), str(tmp_path / "a.png"), str(tmp_path / "sub/c.jpg")
    ]
    assert data.y.dtype == np.int64
    assert data.y.tolist() == [1, 0, 1]
    assert data.groups.dtype == object
    assert data.groups.tolist() == ["007", "12", "007"]
    assert data.frame["image"].tolist() == ["b.png", "a.png", "sub/c.jpg"]
    assert data.frame["patient_id"].tolist() == ["007", "12", "007"]
    assert data.frame["label"].tolist() == [1, 0, 1]
    assert data.frame["path"].tolist() == data.X.tolist()
    assert data.source == str(path)
    assert "3 images of 2 patients" in data.DESCR


def test_relative_paths_are_relative_to_the_manifest_not_the_cwd(
    tmp_path, monkeypatch
):
    _touch(tmp_path / "data", "a.png")
    _manifest(tmp_path / "data", "image,label,patient_id\na.png,1,P1\n")
    monkeypatch.chdir(tmp_path)
    data = load_manifest("data/manifest.csv")
    assert data.X.tolist() == [str(tmp_path / "data" / "a.png")]
    assert data.source == str(tmp_path / "data" / "manifest.csv")


def test_absolute_and_dotted_paths(tmp_path):
    _touch(tmp_path / "images", "a.png", "b.png", "c.png")
    manifest_dir = tmp_path / "manifests"
    manifest_dir.mkdir()
    path = _manifest(
        manifest_dir,
        "image,label,patient_id\n"
        f"{tmp_path / 'images' / 'a.png'},1,P1\n"
        "../images/b.png,0,P2\n"
        "./../images/./c.png,0,P3\n",
    )
    data = load_manifest(path)
    assert data.X.tolist() == [str(tmp_path / "images" / name)
                               for name in ("a.png", "b.png", "c.png")]
    assert data.frame["image"].tolist()[1:] == ["../images/b.png",
                                                "./../images/./c.png"]


def test_optional_and_extra_columns_are_kept(tmp_path):
    _touch(tmp_path, "a.png", "b.png", "c.png")
    path = _manifest(
        tmp_path,
        "site,image,label,patient_id,expression,side,grade,severity,notes\n"
        "Leiden,a.png,1,P1,smile,left,3,0.5,\"a note, with a comma\"\n"
        "Jena,b.png,1,P1,rest,left,3,0.25,\n"
        "Jena,c.png,0,P2,rest,none,1,0,007\n",
    )
    data = load_manifest(path)
    frame = data.frame
    assert list(frame.columns) == [
        "site", "image", "label", "patient_id", "expression", "side", "grade",
        "severity", "notes", "path",
    ]
    assert frame["site"].tolist() == ["Leiden", "Jena", "Jena"]
    assert frame["expression"].tolist() == ["smile", "rest", "rest"]
    assert frame["side"].tolist() == ["left", "left", "none"]
    assert frame["grade"].tolist() == [3, 3, 1]
    assert frame["grade"].dtype.kind == "i"
    assert frame["severity"].tolist() == [0.5, 0.25, 0.0]
    assert frame["notes"][0] == "a note, with a comma"
    assert pd.isna(frame["notes"][1])
    assert frame["notes"][2] == "007"
    assert data.y.tolist() == [1, 1, 0]


def test_string_labels_are_stripped_strings(tmp_path):
    _touch(tmp_path, "a.png", "b.png", "c.png")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "a.png, palsy ,P1\n"
        "b.png,control,P2\n"
        "c.png,Palsy+,P3\n",
    )
    data = load_manifest(path)
    assert data.y.dtype == object
    assert data.y.tolist() == ["palsy", "control", "Palsy+"]
    assert data.frame["label"].tolist() == ["palsy", "control", "Palsy+"]


def _labelled(tmp_path, labels, patients=None):
    """A manifest with one image per label, each of its own patient unless given."""
    names = [f"{index}.png" for index in range(len(labels))]
    _touch(tmp_path, *names)
    patients = patients or [f"P{index}" for index in range(len(labels))]
    rows = "".join(
        f"{name},{label},{patient}\n"
        for name, label, patient in zip(names, labels, patients, strict=True)
    )
    return _manifest(tmp_path, "image,label,patient_id\n" + rows)


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["+1", "-2", "0"], [1, -2, 0]),
        (["1", "1.0", " +1 ", "1e0", "0", "0.00", "-0", ".0e3"],
         [1, 1, 1, 1, 0, 0, 0, 0]),
        (["007", "7.", "70e-1"], [7, 7, 7]),
    ],
)
def test_integral_number_labels_are_one_int64_class_however_written(
    tmp_path, labels, expected
):
    data = load_manifest(_labelled(tmp_path, labels))
    assert data.y.dtype == np.int64
    assert data.y.tolist() == expected
    assert data.frame["label"].tolist() == expected


def test_labels_with_a_fraction_make_every_label_float64(tmp_path):
    data = load_manifest(_labelled(tmp_path, ["0", "0.5", "1.0", "2.50"]))
    assert data.y.dtype == np.float64
    assert data.y.tolist() == [0.0, 0.5, 1.0, 2.5]


@pytest.mark.parametrize("label", ["1_0", "\u0661", "\uff11", "0x1", "1,5"])
def test_numbers_not_written_with_ascii_digits_are_text(tmp_path, label):
    # Python's int() and float() read "1_0", Arabic-Indic and full-width
    # digits; a label column does not, so these are names, not numbers.
    data = load_manifest(_labelled(tmp_path, [f'"{label}"', "palsy"]))
    assert data.y.tolist() == [label, "palsy"]


def test_labels_mixing_numbers_and_text_name_the_rarer_rows(tmp_path):
    labels = ["1", "0"] * 15 + ["palsy", " Control "]
    with pytest.raises(ManifestError) as info:
        load_manifest(_labelled(tmp_path, labels))
    assert [row for row, _ in info.value.problems] == [32, 33]
    reasons = [reason for _, reason in info.value.problems]
    assert reasons[0].startswith("label 'palsy' is text, but the other 30 are numbers")
    assert reasons[1].startswith("label 'Control' is text")


def test_mixed_label_errors_list_20_rows_and_count_the_rest(tmp_path):
    # Mostly names, with 25 numbers: the numbers are named, 20 in the message.
    labels = ["palsy", "control"] * 15 + ["1"] * 25
    with pytest.raises(ManifestError) as info:
        load_manifest(_labelled(tmp_path, labels))
    error = info.value
    assert [row for row, _ in error.problems] == list(range(32, 57))
    assert all("is a number, but the other 30 are text" in reason
               for _, reason in error.problems)
    assert _rows_named(error) == list(range(32, 52))
    assert str(error).endswith("... and 5 more")
    assert "25 problems" in str(error)


@pytest.mark.parametrize("label", ["nan", "NaN", "inf", "-Infinity", "1e400", "1e30",
                                   "99999999999999999999"])
def test_nan_infinite_and_huge_labels_are_refused(tmp_path, label):
    with pytest.raises(ManifestError) as info:
        load_manifest(_labelled(tmp_path, ["0", label, "1"]))
    assert [row for row, _ in info.value.problems] == [3]
    assert repr(label) in info.value.problems[0][1]


def test_labels_differing_only_by_case_or_spaces_are_refused(tmp_path):
    labels = ["Palsy", "control", "palsy", "HB 3", "HB3", "Palsy", "hb\u200b3"]
    with pytest.raises(ManifestError) as info:
        load_manifest(_labelled(tmp_path, labels))
    problems = info.value.problems
    assert [row for row, _ in problems] == [2, 5]
    assert problems[0][1] == (
        "labels 'Palsy' (lines 2, 7) and 'palsy' (line 4) differ only by case, "
        "spaces or invisible characters; spell each label one way"
    )
    assert problems[1][1].startswith(
        "labels 'HB 3' (line 5), 'HB3' (line 6) and 'hb\\u200b3' (line 8) differ"
    )


def test_patient_ids_differing_by_case_space_or_invisible_characters_are_one_error(
    tmp_path,
):
    ids = ["P01", "P01", "p01", "P 01", "P01\u200b", "P\u00ad01", "\ufeffP01",
           "P02", '"P0\n1"', "P2"]
    with pytest.raises(ManifestError) as info:
        load_manifest(_labelled(tmp_path, ["1"] * len(ids), ids))
    problems = info.value.problems
    assert len(problems) == 1
    line, reason = problems[0]
    assert line == 2
    # Every spelling is named with its lines (the quoted id spans lines 10-11,
    # so P2 is on line 12); P02 and P2 are different patients.
    assert reason.startswith(
        "patient ids 'P01' (lines 2, 3), 'p01' (line 4), 'P 01' (line 5), "
        "'P01\\u200b' (line 6), 'P\\xad01' (line 7), '\\ufeffP01' (line 8) "
        "and 'P0\\n1' (line 10) differ only by case, spaces or invisible characters"
    )
    assert "P02" not in reason and "'P2'" not in reason


def test_an_id_of_only_invisible_characters_is_empty(tmp_path):
    with pytest.raises(ManifestError) as info:
        load_manifest(_labelled(tmp_path, ["1", "\u200b"], ["\u200b\u200d", "P2"]))
    assert info.value.problems == [
        (2, "empty patient_id: '\\u200b\\u200d' holds only invisible characters"),
        (3, "empty label: '\\u200b' holds only invisible characters"),
    ]


def test_patient_ids_and_labels_are_put_in_nfc(tmp_path):
    composed, decomposed = "Jos\u00e9", "Jose\u0301"
    data = load_manifest(_labelled(tmp_path, ["caf\u00e9", "cafe\u0301"],
                                   [composed, decomposed]))
    assert data.groups.tolist() == [composed, composed]
    assert data.y.tolist() == ["caf\u00e9", "caf\u00e9"]
    assert "2 images of 1 patients" in data.DESCR


def test_a_patient_in_two_classes_is_refused_unless_allowed(tmp_path):
    path = _labelled(tmp_path, ["1", "1", "0", "0", "1.0", "0"],
                     ["P1", "P1", "C1", "P1", "P2", "P2"])
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.problems == [
        (2, "patient 'P1' has images in 2 classes: 1 (lines 2, 3) and 0 (line 5). "
            "A patient's images share one label: is one mislabelled, or are two "
            "people under one id? Pass allow_mixed_patient_labels=True if this "
            "study labels images, not patients"),
        (6, "patient 'P2' has images in 2 classes: 1 (line 6) and 0 (line 7). "
            "A patient's images share one label: is one mislabelled, or are two "
            "people under one id? Pass allow_mixed_patient_labels=True if this "
            "study labels images, not patients"),
    ]
    data = load_manifest(path, allow_mixed_patient_labels=True)
    assert data.y.tolist() == [1, 1, 0, 0, 1, 0]
    assert data.groups.tolist() == ["P1", "P1", "C1", "P1", "P2", "P2"]


def test_spaces_bom_crlf_and_blank_lines_are_tolerated(tmp_path):
    _touch(tmp_path, "a.png", "b.png")
    path = tmp_path / "manifest.csv"
    path.write_bytes(
        "\ufeffimage , label , patient_id\r\n"
        "\r\n"
        " a.png , 1 , 007 \r\n"
        "   \r\n"
        "b.png,0,008\r\n"
        "\r\n".encode("utf-8")
    )
    data = load_manifest(path)
    assert data.X.tolist() == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert data.y.tolist() == [1, 0]
    assert data.groups.tolist() == ["007", "008"]


# --------------------------------------------------------------------------
# load_manifest: bad manifests


def test_every_missing_file_is_named(tmp_path):
    _touch(tmp_path, "b.png", "d.png")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "a.png,1,P1\n"
        "b.png,1,P1\n"
        "c.png,0,P2\n"
        "d.png,0,P2\n",
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, PalsyError)
    assert error.source == str(path)
    assert [row for row, _ in error.problems] == [2, 4]
    assert all("image file not found" in reason for _, reason in error.problems)
    assert str(tmp_path / "c.png") in error.problems[1][1]
    message = str(error)
    assert "line 2 (image 'a.png')" in message
    assert "line 4 (image 'c.png')" in message
    assert "b.png" not in message and "d.png" not in message
    assert "2 problems" in message


def test_empty_cells_are_named(tmp_path):
    _touch(tmp_path, "a.png", "b.png", "c.png", "d.png")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "a.png,,P1\n"
        "b.png,1,   \n"
        "c.png,0,P2\n"
        ",1,P3\n"
        "d.png,  ,\n",
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.problems == [
        (2, "empty label"),
        (3, "empty patient_id"),
        (5, "empty image"),
        (6, "empty label"),
        (6, "empty patient_id"),
    ]
    assert _rows_named(info.value) == [2, 3, 5, 6, 6]
    assert "line 6 (image 'd.png'): empty label" in str(info.value)


def test_duplicated_images_name_the_later_rows(tmp_path):
    _touch(tmp_path, "a.png", "b.png", "sub/x.png")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "a.png,1,P1\n"
        "b.png,1,P1\n"
        "./a.png,1,P2\n"
        "sub/../b.png,0,P3\n"
        f"{tmp_path / 'a.png'},0,P4\n"
        "sub/x.png,0,P4\n",
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.problems == [
        (4, "same image as line 2"),
        (5, "same image as line 3"),
        (6, "same image as line 2"),
    ]


def test_symlinked_duplicate_is_found(tmp_path):
    _touch(tmp_path, "a.png")
    try:
        os.symlink(tmp_path / "a.png", tmp_path / "link.png")
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available")
    path = _manifest(tmp_path, "image,label,patient_id\na.png,1,P1\nlink.png,1,P2\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.problems == [(3, "same image as line 2")]


def test_missing_columns_are_all_named(tmp_path):
    _touch(tmp_path, "a.png")
    path = _manifest(tmp_path, "image,diagnosis\na.png,1\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.problems == [
        (1, "missing required column 'label'"),
        (1, "missing required column 'patient_id'"),
    ]
    assert "label" in str(info.value) and "patient_id" in str(info.value)


def test_missing_columns_do_not_hide_row_problems(tmp_path):
    path = _manifest(tmp_path, "image,label\nmissing.png,1\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert [row for row, _ in info.value.problems] == [1, 2]
    assert "patient_id" in info.value.problems[0][1]
    assert "image file not found" in info.value.problems[1][1]


def test_semicolon_delimited_file_gets_a_hint(tmp_path):
    path = _manifest(tmp_path, "image;label;patient_id\na.png;1;P1\n")
    with pytest.raises(ManifestError, match="delimited by ';'") as info:
        load_manifest(path)
    assert len(info.value.problems) == 3


def test_duplicated_and_reserved_columns(tmp_path):
    _touch(tmp_path, "a.png")
    path = _manifest(
        tmp_path, "image,label,patient_id,label,path\na.png,1,P1,0,x\n"
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    reasons = [reason for _, reason in info.value.problems]
    assert [row for row, _ in info.value.problems] == [1, 1]
    assert reasons[0] == "column 'label' appears 2 times"
    assert "'path' is reserved" in reasons[1]


def test_rows_with_the_wrong_number_of_fields(tmp_path):
    _touch(tmp_path, "a.png", "b.png", "c.png")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "a.png,1,P1,extra\n"
        "b.png,1,P2\n"
        "c.png,1\n",
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.problems == [
        (2, "has 4 fields; the header has 3"),
        (4, "has 2 fields; the header has 3"),
    ]


def test_line_numbers_count_physical_lines(tmp_path):
    _touch(tmp_path, "a.png")
    for newline in ("\n", "\r\n"):
        path = _manifest(
            tmp_path,
            newline.join([
                "image,label,patient_id,notes",
                'a.png,1,P1,"a note',
                'on two lines"',
                "",
                'missing.png,0,P2,"another',
                'long note"',
                "",
            ]),
        )
        with pytest.raises(ManifestError) as info:
            load_manifest(path)
        # A row is named by the line it starts on.
        assert [row for row, _ in info.value.problems] == [5]


@pytest.mark.parametrize(
    "content, line, reason",
    [
        (b"", 1, "the manifest is empty"),
        (b"\n  \n\n", 1, "the manifest is empty"),
        (b"image,label,patient_id\n", 1, "the manifest has no data rows"),
        (b"\n\nimage,label,patient_id\n\n", 3, "the manifest has no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xd8", 1, "not UTF-8 text"),
        (b"image,label,patient_id\na.png,1,P1\nb\xe9.png,1,P2\n", 3,
         "not UTF-8 text"),
        (b"image,label,patient_id\na.png,1," + b"x" * 200_000 + b"\n", 2,
         "not readable as CSV"),
    ],
)
def test_empty_and_unreadable_files(tmp_path, content, line, reason):
    _touch(tmp_path, "a.png")
    path = tmp_path / "manifest.csv"
    path.write_bytes(content)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0][0] == line
    assert info.value.problems[0][1].startswith(reason)
    assert info.value.source == str(path)


def test_all_kinds_of_problem_are_reported_together(tmp_path):
    _touch(tmp_path, "a.png", "b.png", "c.png", "e.png")
    path = _manifest(
        tmp_path,
        "image,label,patient_id\n"
        "a.png,1,P1\n"
        "missing.png,1,P1\n"
        "b.png,,P2\n"
        "c.png,0,P3\n"
        "e.png,0,\n"
        "b.png,0,P4\n",
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert [row for row, _ in info.value.problems] == [3, 4, 6, 7]
    assert _rows_named(info.value) == [3, 4, 6, 7]
    assert info.value.problems[2:] == [(6, "empty patient_id"),
                                       (7, "same image as line 4")]


def test_missing_manifest_is_a_file_not_found_error(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match="nowhere.csv") as info:
        load_manifest(path)
    assert isinstance(info.value, ManifestNotFoundError)
    assert isinstance(info.value, PalsyError)
    assert info.value.path == str(path)


def test_folder_given_as_manifest(tmp_path):
    with pytest.raises(ManifestError, match="load_image_folder") as info:
        load_manifest(tmp_path)
    assert [row for row, _ in info.value.problems] == [1]


def test_non_path_argument_is_a_type_error():
    with pytest.raises(TypeError, match="path"):
        load_manifest(3)


# --------------------------------------------------------------------------
# load_image_folder


def test_image_folder_reads_labels_patients_and_sorts(tmp_path):
    _touch(
        tmp_path,
        "1/P02/b.JPG", "1/P02/a.png", "1/007/smile.webp", "0/C01/rest.TIFF",
        "0/C01/x.jpeg", "0/C01/y.bmp", "0/C01/z.tif",
        # Ignored: hidden files and folders, and files that are not images.
        "1/P02/.hidden.png", "1/.DS_Store", ".git/1/P/a.png", "1/P02/notes.txt",
        "README.md", "0/C01/.ipynb_checkpoints/a.png",
    )
    data = load_image_folder(tmp_path)
    expected = [
        "0/C01/rest.TIFF", "0/C01/x.jpeg", "0/C01/y.bmp", "0/C01/z.tif",
        "1/007/smile.webp", "1/P02/a.png", "1/P02/b.JPG",
    ]
    assert data.frame["image"].tolist() == expected
    assert data.X.tolist() == [str(tmp_path / name) for name in expected]
    assert data.y.dtype == np.int64
    assert data.y.tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert data.groups.tolist() == ["C01"] * 4 + ["007", "P02", "P02"]
    assert list(data.frame.columns) == ["image", "label", "patient_id", "path"]
    assert data.source == str(tmp_path)
    assert "7 images of 3 patients" in data.DESCR


def test_image_folder_string_labels(tmp_path):
    _touch(tmp_path, "palsy/P1/a.png", "control/C1/a.png")
    data = load_image_folder(str(tmp_path))
    assert data.y.dtype == object
    assert data.y.tolist() == ["control", "palsy"]
    assert data.groups.tolist() == ["C1", "P1"]


def test_image_folder_matches_an_equivalent_manifest(tmp_path):
    _touch(tmp_path, "1/P1/a.png", "1/P1/b.png", "0/C1/a.png")
    _manifest(
        tmp_path,
        "image,label,patient_id\n0/C1/a.png,0,C1\n1/P1/a.png,1,P1\n1/P1/b.png,1,P1\n",
        name="list.csv",
    )
    from_folder = load_image_folder(tmp_path)
    from_manifest = load_manifest(tmp_path / "list.csv")
    for key in ("X", "y", "groups"):
        np.testing.assert_array_equal(from_folder[key], from_manifest[key])


def test_image_folder_labels_follow_the_manifest_rules(tmp_path):
    _touch(tmp_path, "1.0/P1/a.png", "1/P2/a.png", "0/C1/a.png", "+0/C2/a.png",
           "1/Jose\u0301/a.png")
    data = load_image_folder(tmp_path)
    assert data.frame["image"].tolist() == [
        "+0/C2/a.png", "0/C1/a.png", "1/Jose\u0301/a.png", "1/P2/a.png", "1.0/P1/a.png"
    ]
    assert data.y.dtype == np.int64
    assert data.y.tolist() == [0, 0, 1, 1, 1]
    assert data.groups.tolist() == ["C2", "C1", "Jos\u00e9", "P2", "P1"]


@pytest.mark.parametrize(
    "files, problems",
    [
        (["palsy/P1/a.png", "palsy/P2/a.png", "0/C1/a.png"],
         [("0/C1", "label '0' is a number, but the other 2 are text; give every class "
                   "as a number (0, 1) or every class as a name (control, palsy)")]),
        (["Palsy/P1/a.png", "palsy/P2/a.png", "control/C1/a.png"],
         [("Palsy/P1", "labels 'Palsy' ('Palsy/P1') and 'palsy' ('palsy/P2') differ "
                       "only by case, spaces or invisible characters; spell each "
                       "label one way")]),
        (["1/P01/a.png", "1/p01/a.png", "0/C1/a.png"],
         [("1/P01", "patient ids 'P01' ('1/P01') and 'p01' ('1/p01') differ only by "
                    "case, spaces or invisible characters; spell each patient id "
                    "one way")]),
        (["nan/P1/a.png", "0/C1/a.png"],
         [("nan/P1", "label 'nan' is not a finite number; name each class by a "
                     "finite number or by a word")]),
        (["1/P1/a.png", "1/P1/b.png", "0/P1/c.png", "0/C1/a.png"],
         [("0/P1", "patient 'P1' has images in 2 classes: 0 ('0/P1') and 1 ('1/P1'). "
                   "A patient's images share one label: is one mislabelled, or are "
                   "two people under one id? Pass allow_mixed_patient_labels=True if "
                   "this study labels images, not patients")]),
    ],
    ids=["numbers-and-names", "label-case", "patient-case", "nan", "patient-in-two"],
)
def test_image_folder_refuses_what_the_manifest_refuses(tmp_path, files, problems):
    _touch(tmp_path, *files)
    with pytest.raises(ManifestError) as info:
        load_image_folder(tmp_path)
    assert info.value.problems == problems
    assert repr(problems[0][0]) in str(info.value)


def test_image_folder_allows_a_patient_in_two_classes_when_asked(tmp_path):
    _touch(tmp_path, "1/P1/a.png", "0/P1/b.png", "0/C1/a.png")
    data = load_image_folder(tmp_path, allow_mixed_patient_labels=True)
    assert data.y.tolist() == [0, 0, 1]
    assert data.groups.tolist() == ["C1", "P1", "P1"]


def test_images_at_the_wrong_depth_are_all_named(tmp_path):
    _touch(
        tmp_path,
        "1/P1/good.png", "stray.png", "1/loose.jpg", "1/P1/session/deep.png",
        "0/notes.txt",
    )
    with pytest.raises(ManifestError) as info:
        load_image_folder(tmp_path)
    problems = dict(info.value.problems)
    assert sorted(problems) == ["1/P1/session/deep.png", "1/loose.jpg", "stray.png"]
    assert "directly in the root folder" in problems["stray.png"]
    assert "not in a patient folder" in problems["1/loose.jpg"]
    assert "too deep" in problems["1/P1/session/deep.png"]
    for name in problems:
        assert repr(name) in str(info.value)
    assert "good.png" not in str(info.value)
    assert info.value.source == str(tmp_path)


@pytest.mark.parametrize("files", [[], ["1/P1/notes.txt", "1/P1/.a.png"]])
def test_folder_without_images_is_an_error(tmp_path, files):
    _touch(tmp_path, *files)
    with pytest.raises(ManifestError, match="no image files found") as info:
        load_image_folder(tmp_path)
    assert info.value.problems[0][0] == str(tmp_path)


def test_missing_or_non_folder_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing") as info:
        load_image_folder(tmp_path / "missing")
    assert isinstance(info.value, ManifestNotFoundError)
    path = _manifest(tmp_path, "image,label,patient_id\n")
    with pytest.raises(ManifestError, match="use load_manifest"):
        load_image_folder(path)


def test_image_folder_follows_folder_links_and_finds_duplicates(tmp_path):
    _touch(tmp_path, "store/a.png", "root/1/P1/b.png")
    try:
        os.symlink(tmp_path / "store", tmp_path / "root" / "1" / "P2",
                   target_is_directory=True)
        os.symlink(tmp_path / "store", tmp_path / "root" / "1" / "P3",
                   target_is_directory=True)
        # A link back up the tree must not be followed forever.
        os.symlink(tmp_path / "root", tmp_path / "root" / "1" / "P1" / "loop",
                   target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available")
    with pytest.raises(ManifestError) as info:
        load_image_folder(tmp_path / "root")
    # P2 is followed and read; P3 repeats its file; the loop is not entered.
    assert info.value.problems == [("1/P3/a.png", "same file as '1/P2/a.png'")]
    os.remove(tmp_path / "root" / "1" / "P3")
    data = load_image_folder(tmp_path / "root")
    assert data.frame["image"].tolist() == ["1/P1/b.png", "1/P2/a.png"]
    assert data.groups.tolist() == ["P1", "P2"]


# --------------------------------------------------------------------------
# Properties over random manifests

_ID_ALPHABET = string.ascii_letters + string.digits + "-_ ,\"'"
_patient_ids = st.text(_ID_ALPHABET, min_size=1, max_size=6).filter(str.strip)
# Labels are all numbers or all names, as the loader requires; the numbers
# are integral however they are written.
_labels = st.one_of(
    st.lists(st.sampled_from(["-3", "+2", "1", " 1.0 ", "0", "0e0", "-0.0"]),
             min_size=1, max_size=3),
    st.lists(st.sampled_from(["palsy", " control ", "HB 3", "x,y"]),
             min_size=1, max_size=3),
)
_SPELLINGS = ("relative", "dotted", "absolute", "subfolder")


def _same_patient_key(patient_id):
    """Ids the loader takes for two spellings of one patient share this key."""
    return "".join(patient_id.split()).casefold()


@st.composite
def _cohorts(draw):
    """Rows of (file name, spelling, label, patient id), a few per patient.

    Every patient has one label and an id that no other patient's id differs
    from only by case or spaces.
    """
    label_choices = draw(_labels)
    n_patients = draw(st.integers(1, 4))
    patient_ids = draw(st.lists(_patient_ids, min_size=n_patients,
                                max_size=n_patients, unique_by=_same_patient_key))
    rows = []
    for patient, patient_id in enumerate(patient_ids):
        label = draw(st.sampled_from(label_choices))
        for image in range(draw(st.integers(1, 4))):
            rows.append({
                "file": f"p{patient}_{image}.png",
                "spelling": draw(st.sampled_from(_SPELLINGS)),
                "label": label,
                "patient_id": patient_id,
            })
    return rows


def _cell(folder, row):
    """The manifest cell naming a row's image, and the image's absolute path."""
    subfolder = "sub" if row["spelling"] == "subfolder" else ""
    return {
        "relative": row["file"],
        "dotted": f"./sub/../{row['file']}",
        "absolute": os.path.join(folder, row["file"]),
        "subfolder": f"sub/{row['file']}",
    }[row["spelling"]], os.path.join(folder, subfolder, row["file"])


def _write_cohort(folder, rows, cells):
    with open(os.path.join(folder, "manifest.csv"), "w", newline="",
              encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["image", "label", "patient_id"])
        for row, cell in zip(rows, cells, strict=True):
            writer.writerow([cell, row["label"], row["patient_id"]])
    return os.path.join(folder, "manifest.csv")


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(rows=_cohorts())
def test_valid_manifests_round_trip(rows):
    with tempfile.TemporaryDirectory() as folder:
        os.mkdir(os.path.join(folder, "sub"))
        cells, paths = zip(*(_cell(folder, row) for row in rows), strict=True)
        _touch(folder, *paths)
        data = load_manifest(_write_cohort(folder, rows, cells))
    assert data.X.tolist() == list(paths)
    labels = [row["label"].strip() for row in rows]
    if all(re.fullmatch(r"[+-]?\d+(\.\d*)?(e\d+)?", label) for label in labels):
        assert data.y.dtype == np.int64
        assert data.y.tolist() == [int(float(label)) for label in labels]
    else:
        assert data.y.dtype == object
        assert data.y.tolist() == labels
    assert data.groups.tolist() == [row["patient_id"].strip() for row in rows]
    assert data.frame["image"].tolist() == list(cells)


_CORRUPTIONS = ("missing", "empty label", "empty patient", "duplicate")


@st.composite
def _corrupted_cohorts(draw):
    """A cohort, a set of corruptions per row (some rows clean) and sources."""
    rows = draw(_cohorts())
    kinds = []
    for index in range(len(rows)):
        choices = _CORRUPTIONS if index else _CORRUPTIONS[:3]
        kinds.append(draw(st.sets(st.sampled_from(choices), max_size=2)))
    if not any(kinds):
        # At least one corrupted row, so that the manifest must be rejected.
        index = draw(st.integers(0, len(rows) - 1))
        kinds[index] = {"missing"}
    # Each duplicate repeats the image of one earlier row.
    duplicated = {index: draw(st.integers(0, index - 1))
                  for index, kind in enumerate(kinds) if "duplicate" in kind}
    return rows, kinds, duplicated


def _cohort_with_21_problems():
    # Found by hypothesis: more problems than the message lists.
    rows = [{"file": f"p{p}_{i}.png", "spelling": "relative", "label": "-3",
             "patient_id": "0" * (p + 1)}
            for p, n in enumerate((4, 3, 3, 3)) for i in range(n)]
    both = {"empty label", "missing"}
    kinds = [both, set(), set(), set(), *[both] * 6,
             {"empty label", "duplicate"}, {"empty label", "duplicate"}, {"missing"}]
    return rows, kinds, {10: 0, 11: 0}


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cohort=_corrupted_cohorts(), blank=st.sampled_from(["", "  "]))
@example(cohort=_cohort_with_21_problems(), blank="")
def test_corrupted_manifests_name_exactly_the_corrupted_rows(cohort, blank):
    rows, kinds, duplicated = cohort
    with tempfile.TemporaryDirectory() as folder:
        os.mkdir(os.path.join(folder, "sub"))
        cells, paths = zip(*(_cell(folder, row) for row in rows), strict=True)
        cells = list(cells)
        # The row whose image each row names, following chains of duplicates.
        origin = list(range(len(rows)))
        for index, source in sorted(duplicated.items()):
            origin[index] = origin[source]
            cells[index] = cells[source]
        for index, path in enumerate(paths):
            if origin[index] == index and "missing" not in kinds[index]:
                _touch(folder, path)
        for row, kind in zip(rows, kinds, strict=True):
            if "empty label" in kind:
                row["label"] = blank
            if "empty patient" in kind:
                row["patient_id"] = blank
        manifest = _write_cohort(folder, rows, cells)
        with pytest.raises(ManifestError) as info:
            load_manifest(manifest)
    expected = []
    for index, kind in enumerate(kinds):
        line = index + 2
        if "missing" in kinds[origin[index]]:
            expected.append((line, "image file not found"))
        if "duplicate" in kind:
            expected.append((line, f"same image as line {origin[index] + 2}"))
        if "empty label" in kind:
            expected.append((line, "empty label"))
        if "empty patient" in kind:
            expected.append((line, "empty patient_id"))
    found = [(line, reason.split(":")[0]) for line, reason in info.value.problems]
    assert found == expected
    corrupted_lines = {index + 2 for index, kind in enumerate(kinds) if kind}
    assert {line for line, _ in info.value.problems} == corrupted_lines
    # The message shows the first MAX_LISTED problems, each on a line that
    # starts with its row, and counts the rest (all are in .problems).
    problems = info.value.problems
    assert _rows_named(info.value) == [line for line, _ in problems[:MAX_LISTED]]
    left_out = len(problems) - MAX_LISTED
    assert (f"... and {left_out} more" in str(info.value)) == (left_out > 0)
    assert info.value.source == manifest


# ----------------------------------------------------------------------------
# Files with the same bytes under two patients.


def test_a_copy_listed_for_two_patients_is_warned_about_naming_both(tmp_path):
    (tmp_path / "a.png").write_bytes(b"one photo")
    (tmp_path / "copy.png").write_bytes(b"one photo")
    (tmp_path / "other.png").write_bytes(b"two photo")  # same size, other bytes
    os.link(tmp_path / "other.png", tmp_path / "linked.png")
    (tmp_path / "same_patient.png").write_bytes(b"one photo")
    manifest = _manifest(tmp_path, (
        "image,label,patient_id\n"
        "a.png,1,P01\n"
        "other.png,1,P01\n"
        "copy.png,0,C01\n"
        "linked.png,1,P02\n"
        "same_patient.png,0,C01\n"
    ))
    with pytest.warns(UserWarning) as caught:
        data = load_manifest(manifest)
    assert len(data.X) == 5  # a warning, not a refusal
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(
        "2 file(s) listed for different patients under different names have the "
        f"same bytes: {str(tmp_path / 'a.png')!r} (line 2, patient 'P01') and "
        f"{str(tmp_path / 'copy.png')!r} (line 4, patient 'C01'); "
        f"{str(tmp_path / 'other.png')!r} (line 3, patient 'P01') and "
        f"{str(tmp_path / 'linked.png')!r} (line 5, patient 'P02'). ")
    assert "both sides of a split" in message
    # Each patient is named once, at the first row of its copies: C01's
    # second copy and the files of equal size but other bytes are not listed.
    assert "same_patient.png" not in message
    # Copies within one patient (C01's two rows) give no warning.
    (tmp_path / "copy.png").write_bytes(b"new photo")
    (tmp_path / "same_patient.png").write_bytes(b"new photo")
    (tmp_path / "linked.png").unlink()
    (tmp_path / "linked.png").write_bytes(b"own photo")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_manifest(manifest)


def test_a_copy_in_two_patient_folders_is_warned_about(tmp_path):
    for name, content in (("1/P01/rest.png", b"one photo"),
                          ("0/C01/rest.png", b"one photo"),
                          ("0/C01/smile.png", b"two photo")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    with pytest.warns(UserWarning, match=re.escape(
            f"same bytes: {str(tmp_path / '0/C01/rest.png')!r} (patient 'C01') and "
            f"{str(tmp_path / '1/P01/rest.png')!r} (patient 'P01'). ")):
        data = load_image_folder(tmp_path)
    assert len(data.X) == 3
