"""write_review_page, load_review_decisions and ``sklearn-palsy review`` (no browser).

The page in a real browser is tested in ``test_review_browser.py``.
"""

import base64
import hashlib
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sklearn_palsy.cli import main
from sklearn_palsy.exceptions import ManifestError
from sklearn_palsy.faces import IBUG68_MEAN_FACE, load_landmarks
from sklearn_palsy.reporting import load_review_decisions, write_review_page

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


def _data(page):
    text = page.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="review-data">'
                      r"(.*?)</script>", text, re.DOTALL)
    return text, json.loads(found.group(1))


def _photo(tmp_path, name, size=(1200, 900)):
    path = tmp_path / name
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _points(scale=200.0, centre=450.0):
    return IBUG68_MEAN_FACE * scale + centre


def test_the_page_is_self_contained_with_a_strict_policy(tmp_path):
    photo = _photo(tmp_path, "big.png")
    page = write_review_page([photo], _points()[None], tmp_path / "review.html")
    text, data = _data(page)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                       text).group(1)
    script = re.search(r"<script>(.*)</script>", text, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy == ("default-src 'none'; img-src data: blob:; style-src "
                      f"'unsafe-inline'; script-src 'sha256-{digest}'; base-uri "
                      "'none'; form-action 'none'")
    # Nothing to fetch: no URL but data: ones, no src or href to a file.
    assert not re.search(r"(?:src|href)=\"(?!data:)", text)
    assert "http://" not in text and "https://" not in text
    # The preview: a JPEG of 800 px on its longest side, not the original.
    [image] = data["images"]
    assert (image["width"], image["height"]) == (1200, 900)
    preview = Image.open(io.BytesIO(base64.b64decode(image["src"].split(",", 1)[1])))
    assert preview.format == "JPEG" and preview.size == (800, 600)
    # Points in full-image pixels, every digit.
    assert image["points"] == _points().tolist()
    assert image["key"] == str(photo)


def test_data_cannot_break_out_of_its_script_element(tmp_path):
    photo = _photo(tmp_path, "face.png", size=(64, 64))
    decisions = pd.DataFrame({"image": [str(photo)], "checked": [True],
                              "excluded": [False], "note": [HOSTILE]})
    page = write_review_page([photo], _points(20, 32)[None], tmp_path / "r.html",
                             patients=[HOSTILE], decisions=decisions,
                             title=HOSTILE)
    text, data = _data(page)
    assert HOSTILE not in text  # only escaped forms
    assert text.count("<script") == 2 and text.count("</script>") == 2
    assert data["images"][0]["patient"] == HOSTILE
    assert data["images"][0]["decision"] == {"checked": True, "excluded": False,
                                             "note": HOSTILE}
    assert data["title"] == HOSTILE
    assert f"<title>{HOSTILE}" not in text


def test_the_storage_key_follows_the_content(tmp_path):
    photo = _photo(tmp_path, "face.png", size=(64, 64))
    one = _data(write_review_page([photo], _points(20, 32)[None], tmp_path / "a.html"))
    same = _data(write_review_page([photo], _points(20, 32)[None], tmp_path / "a.html"))
    moved = _data(write_review_page([photo], _points(20, 33)[None],
                                    tmp_path / "a.html"))
    assert one[1]["hash"] == same[1]["hash"] != moved[1]["hash"]


def test_an_unreadable_image_is_flagged_and_the_page_written(tmp_path):
    good = _photo(tmp_path, "good.png", size=(64, 64))
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    page = write_review_page([good, bad], np.stack([_points(20, 32),
                                                    np.full((68, 2), np.nan)]),
                             tmp_path / "r.html")
    _, data = _data(page)
    flagged = data["images"][1]
    assert flagged["src"] is None and flagged["points"] is None
    assert flagged["flags"] == ["unreadable"]
    assert flagged["reasons"][0].startswith("unreadable: ")
    assert str(bad) in flagged["reasons"][0]
    assert flagged["priority"] > data["images"][0]["priority"]


def _decisions(tmp_path, text):
    path = tmp_path / "decisions.csv"
    path.write_text(text)
    return path


def test_decisions_round_trip_and_formula_cells(tmp_path):
    path = _decisions(tmp_path, "image,name,checked,excluded,note\n"
                                "/a.png,a,1,0,'=SUM(A1)\n/b.png,b,0,1,\"x, y\"\n")
    decisions = load_review_decisions(path)
    assert decisions.to_dict("records") == [
        {"image": "/a.png", "checked": True, "excluded": False, "note": "=SUM(A1)"},
        {"image": "/b.png", "checked": False, "excluded": True, "note": "x, y"}]


def test_malformed_decisions_name_the_file_and_every_line(tmp_path):
    path = _decisions(tmp_path, "image,checked,excluded,note\n/a.png,yes,0,\n"
                                ",0,0,\n/a.png,0,2,\n")
    with pytest.raises(ManifestError) as error:
        load_review_decisions(path)
    assert str(error.value) == (
        f"decisions file {str(path)!r}: line 2: checked is 'yes', not 0 or 1; "
        "line 3: the image is empty; line 4: '/a.png' is already on line 2; "
        "line 4: excluded is '2', not 0 or 1")
    assert [line for line, _ in error.value.problems] == [2, 3, 4, 4]
    missing = _decisions(tmp_path, "image,checked\n/a.png,1\n")
    with pytest.raises(ManifestError, match=r"line 1 lacks the column\(s\) excluded, "
                                            "note"):
        load_review_decisions(missing)


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=1, n_controls=1, expressions=("rest", "smile"),
                            image_size=128, on_disk=True)


def test_review_writes_the_page_and_the_flags_csv(cohort, tmp_path, capsys):
    out = tmp_path / "review.html"
    assert main(["review", str(cohort.manifest), "--out", str(out), "--backend",
                 "dlib", "--no-compare"]) == 0
    printed = capsys.readouterr().out
    assert "4 photo(s)" in printed and "landmarks by dlib" in printed
    flags = pd.read_csv(tmp_path / "review-flags.csv")
    assert len(flags) == 4
    assert list(flags.columns[:6]) == ["image", "patient_id", "expression", "n_flags",
                                       "priority", "reasons"]
    assert (flags["priority"].diff().dropna() <= 0).all()  # worst first
    assert set(flags["expression"]) == {"rest", "smile"}
    _, data = _data(out)
    assert len(data["images"]) == 4 and data["scheme"]["name"] == "ibug68"
    assert {image["patient"] for image in data["images"]} == set(cohort.groups)


def test_a_large_study_gets_pages_per_patient_and_an_index(cohort, tmp_path):
    out = tmp_path / "review.html"
    assert main(["review", str(cohort.manifest), "--out", str(out), "--backend",
                 "dlib", "--no-compare", "--page-size", "2"]) == 0
    pages = sorted(tmp_path.glob("review-0*.html"))
    assert [page.name for page in pages] == ["review-001.html", "review-002.html"]
    patients = [{image["patient"] for image in _data(page)[1]["images"]}
                for page in pages]
    assert all(len(found) == 1 for found in patients)  # a patient per page
    index = out.read_text()
    assert 'href="review-001.html"' in index and 'href="review-002.html"' in index
    assert "default-src 'none'" in index


def test_given_landmarks_are_shown_and_exported_as_given(cohort, tmp_path):
    images = [str(path) for path in cohort.X]
    marks = tmp_path / "marks.csv"
    assert main(["extract", *images, "--out", str(tmp_path / "f.csv"), "--backend",
                 "dlib", "--quiet", "--landmarks-out", str(marks)]) == 0
    given = load_landmarks(marks)
    out = tmp_path / "review.html"
    assert main(["review", *images, "--out", str(out), "--landmarks", str(marks),
                 "--no-compare"]) == 0
    _, data = _data(out)
    assert {image["source"] for image in data["images"]} == {"given"}
    for image in data["images"]:
        assert image["points"] == given[image["key"]].tolist()


def test_landmarks_of_another_scheme_are_one_error(cohort, tmp_path, capsys):
    images = [str(path) for path in cohort.X]
    marks = tmp_path / "marks.csv"
    assert main(["extract", *images, "--out", str(tmp_path / "f.csv"), "--backend",
                 "dlib", "--quiet", "--landmarks-out", str(marks)]) == 0
    capsys.readouterr()
    out = tmp_path / "review.html"
    assert main(["review", *images, "--out", str(out), "--landmarks", str(marks),
                 "--backend", "mediapipe", "--no-compare"]) == 1
    assert capsys.readouterr().err == (
        f"sklearn-palsy: error: the landmarks given ({marks}) have 68 points per "
        "image, the mediapipe backend 478: choose the backend of their scheme (or "
        "--backend auto)\n")
    assert not out.exists()


def test_decisions_of_images_not_in_the_run_are_named(cohort, tmp_path, capsys):
    images = [str(path) for path in cohort.X]
    decisions = _decisions(tmp_path, "image,checked,excluded,note\n"
                                     f"{images[0]},1,0,fine\n/gone/face.png,0,1,\n")
    out = tmp_path / "review.html"
    assert main(["review", *images, "--out", str(out), "--decisions", str(decisions),
                 "--backend", "dlib", "--no-compare"]) == 0
    assert (f"sklearn-palsy: warning: decisions from {decisions}: 1 image(s) are not "
            "in this run: /gone/face.png\n") in capsys.readouterr().err
    shown = {image["name"]: image["decision"] for image in _data(out)[1]["images"]}
    assert shown[images[0]] == {"checked": True, "excluded": False, "note": "fine"}
    assert shown[images[1]] is None
