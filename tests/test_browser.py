"""The HTML reports, opened in a real browser (headless Chromium).

Each report is loaded in an iframe of a small harness page, whose script
checks, once everything has loaded, that every image decoded
(``naturalWidth > 0``) and that the page is no wider than the window; the
browser's console must stay silent (the reports hold no scripts, so any
console message is an error such as a blocked resource). A screenshot is
saved in the test's temporary folder.

``.ci/run`` installs Chromium from the Debian packages when it is missing;
where it cannot be installed these tests are skipped, saying so.
"""

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

WIDTH = 1280

HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="report" src="{src}" style="width:{width}px;height:900px;border:0">
</iframe>
<script>
window.addEventListener("load", function () {{
  var page = document.getElementById("report").contentDocument;
  var images = Array.prototype.slice.call(page.images);
  var width = page.documentElement.clientWidth;
  var result = {{
    title: page.title,
    images: images.length,
    broken: images.filter(function (image) {{
      return !(image.complete && image.naturalWidth > 0);
    }}).map(function (image) {{ return image.alt; }}),
    wider_images: images.filter(function (image) {{
      return image.getBoundingClientRect().width > width + 1;
    }}).map(function (image) {{ return image.alt; }}),
    width: width,
    scroll_width: page.documentElement.scrollWidth
  }};
  document.body.setAttribute("data-result", JSON.stringify(result));
}});
</script></body></html>
"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed here (.ci/run installs it "
                "with apt-get install -y chromium)")


def _run(browser, *args, url):
    command = [browser, "--headless=new", "--no-sandbox", "--disable-gpu",
               "--allow-file-access-from-files", "--enable-logging=stderr",
               "--v=0", "--virtual-time-budget=20000", *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def check_in_browser(report, tmp_path):
    """Open ``report`` in Chromium; return the harness's findings."""
    browser = _chromium()
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.format(src=report.as_uri(), width=WIDTH),
                       encoding="utf-8")
    run = _run(browser, "--dump-dom", url=harness.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'data-result="([^"]*)"', run.stdout)
    assert found, "the harness did not report: " + run.stderr[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    # The report alone, for its console and a screenshot.
    screenshot = tmp_path / "report.png"
    shot = _run(browser, f"--screenshot={screenshot}",
                f"--window-size={WIDTH},1600", url=report.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    result["console"] = [line for line in run.stderr.splitlines() + shot.stderr
                         .splitlines() if ":CONSOLE" in line]
    result["screenshot"] = screenshot
    return result


def assert_report_renders(result, expected_title):
    assert result["title"] == expected_title
    assert result["images"] > 0 and result["broken"] == []
    assert result["wider_images"] == []
    assert result["scroll_width"] <= result["width"], result
    assert result["console"] == []
    # The screenshot shows something: a PNG of the window, not one colour.
    from PIL import Image

    with Image.open(result["screenshot"]) as image:
        assert image.size == (WIDTH, 1600)
        assert np.asarray(image.convert("L")).std() > 10


@pytest.fixture(scope="module")
def experiment(synthetic_cohort, tmp_path_factory):
    from sklearn_palsy.paper import run_experiment

    cohort = synthetic_cohort(n_patients=3, n_controls=3,
                              expressions=("rest", "smile"), image_size=128,
                              on_disk=True)
    out = tmp_path_factory.mktemp("experiment")
    run_experiment(cohort.X, cohort.y, cohort.groups, out,
                   pipelines=["features_ffnn", "landmarks_ffnn", "lines_resnet",
                              "rgb_resnet", "lines+features_late"],
                   n_splits=2, image_size=32, ffnn_epochs=2, resnet_epochs=1,
                   backend="dlib", verbose=0)
    return out / "report.html"


# Slow: the experiment behind it takes 10 s to build (make test stays
# within three minutes; make test-slow, which CI runs, opens it).
@pytest.mark.slow
def test_the_experiment_report_renders_in_a_browser(experiment, tmp_path):
    result = check_in_browser(experiment, tmp_path)
    assert_report_renders(result, "sklearn-palsy: the paper's comparison")
    # Two confusion-matrix figures, four curve figures, reliability and
    # decision curves, landmarks, importances and two Grad-CAM figures.
    assert result["images"] == 12


def test_the_assessment_report_renders_in_a_browser(synthetic_cohort, tmp_path):
    from sklearn_palsy.cli import assess_images
    from sklearn_palsy.reporting import write_assessment

    cohort = synthetic_cohort(n_patients=2, n_controls=2,
                              expressions=("rest", "smile"), image_size=128,
                              on_disk=True)
    assessment = assess_images(cohort.manifest, backend="dlib")
    out = tmp_path / "assessment"
    write_assessment(assessment, out)
    result = check_in_browser(out / "report.html", tmp_path)
    assert result["images"] >= 4 * 2  # each patient's two photos and chart
    assert_report_renders(result, result["title"])


def test_the_check_can_fail(tmp_path):
    """A broken image and a block wider than the window are caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>bad</title></head><body>'
        '<img alt="missing" src="missing.png">'
        f'<div style="width:{2 * WIDTH}px">wide</div>'
        "</body></html>", encoding="utf-8")
    result = check_in_browser(page, tmp_path)
    assert result["broken"] == ["missing"]
    assert result["scroll_width"] > result["width"]


@pytest.mark.slow
def test_the_study_report_renders_in_a_browser(tmp_path):
    """Intervals, comparison, subgroups, calibration, decision and learning curves."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from sklearn_palsy import evaluate_pipelines
    from sklearn_palsy.model_selection import (
        compare_pipelines,
        learning_curve_by_patients,
    )
    from sklearn_palsy.reporting import add_to_report, write_report

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(24), 2)
    y = (groups % 2).astype(int)
    X = y[:, None] * 1.2 + rng.normal(size=(48, 2))
    sex = pd.DataFrame({"sex": np.where(groups < 12, "F", "M")})
    result = evaluate_pipelines(
        {"lr": LogisticRegression(), "chance": DummyClassifier(strategy="prior")},
        X, y, groups, cv=3, verbose=0, n_bootstraps=50, random_state=0, by=sex)
    report = tmp_path / "study.html"
    write_report(report, result, title="study", n_resamples=50,
                 comparison=compare_pipelines(result, n_bootstraps=50,
                                              random_state=0))
    curve = learning_curve_by_patients(LogisticRegression(), X, y, groups,
                                       train_sizes=[4, 16], cv=3, n_repeats=2,
                                       n_resamples=30)
    add_to_report(report, learning_curve=curve)
    text = report.read_text(encoding="utf-8")
    for heading in ("Results with 95 % intervals", "Paired comparison",
                    "Subgroups", "Calibration", "Decision curve",
                    "Learning curve by number of training patients"):
        assert f"<h2>{heading}" in text
    result = check_in_browser(report, tmp_path)
    assert_report_renders(result, "study")
    # Six curves and matrices, reliability, decision and learning curves.
    assert result["images"] == 9
