"""Tests of the figures, Grad-CAM and the HTML report."""

import os
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_palsy import (  # noqa: E402
    ExpressionFeatures,
    ResNetClassifier,
    evaluate_pipelines,
)
from sklearn_palsy.faces import IBUG68  # noqa: E402
from sklearn_palsy.reporting import (  # noqa: E402
    DISCLAIMER,
    grad_cam,
    patient_table,
    plot_confusion_matrices,
    plot_grad_cam,
    plot_landmarks,
    plot_permutation_importance,
    plot_precision_recall_curves,
    plot_roc_curves,
    software_versions,
    summary_table,
    write_report,
)

ESTIMATORS = ("features", "chance")


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)  # noqa: NPY002 - the global generator, on purpose
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=6, n_controls=6, expressions=("rest",))


@pytest.fixture(scope="module")
def result(cohort):
    model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)), StandardScaler(),
                          LogisticRegression())
    return evaluate_pipelines(
        {"features": model, "chance": DummyClassifier(strategy="prior")},
        cohort.landmarks, cohort.y, cohort.groups, cv=3, verbose=0,
    )


def _displayed_counts(ax):
    """The 2x2 counts a ConfusionMatrixDisplay wrote into an axes."""
    return np.asarray(ax.images[0].get_array(), dtype=int)


def _manual_confusion(result, name, level, threshold=0.5):
    frame = result.predictions[result.predictions.estimator == name]
    if level == "patient":
        frame = frame.groupby(["fold", "patient_id"]).agg(
            y_true=("y_true", "first"), proba=("proba", "mean"))
    return confusion_matrix(frame.y_true, (frame.proba >= threshold).astype(int),
                            labels=[0, 1])


@pytest.mark.parametrize("level", ["image", "patient"])
def test_confusion_matrices_match_manual_counts(result, level):
    figure = plot_confusion_matrices(result, level=level)
    axes = [ax for ax in figure.axes if ax.images]
    assert len(axes) == len(ESTIMATORS)
    for ax, name in zip(axes, ESTIMATORS, strict=True):
        assert name in ax.get_title()
        expected = _manual_confusion(result, name, level)
        np.testing.assert_array_equal(_displayed_counts(ax), expected)
    # 12 patients with one image each: 12 images or 12 patients either way.
    assert _displayed_counts(axes[0]).sum() == 12


def test_confusion_threshold_moves_counts(result):
    everything_positive = plot_confusion_matrices(result, threshold=0.0)
    counts = _displayed_counts(everything_positive.axes[0])
    assert counts[:, 0].sum() == 0 and counts[:, 1].sum() == 12


def test_patient_level_pools_several_images():
    predictions = pd.DataFrame({
        "estimator": "m", "fold": 0, "index": range(4),
        "patient_id": ["a", "a", "b", "b"], "y_true": [1, 1, 0, 0],
        "proba": [0.9, 0.3, 0.45, 0.5],
    })
    from sklearn.utils import Bunch

    figure = plot_confusion_matrices(Bunch(predictions=predictions), level="patient")
    # a: mean 0.6 -> palsy (TP); b: mean 0.475 -> control (TN)
    np.testing.assert_array_equal(_displayed_counts(figure.axes[0]), [[1, 0], [0, 1]])


@pytest.mark.parametrize("plot", [plot_roc_curves, plot_precision_recall_curves])
@pytest.mark.parametrize("level", ["image", "patient"])
def test_curves_one_line_per_estimator(result, plot, level):
    figure = plot(result, level=level)
    assert len(figure.axes) == 1
    labels = [line.get_label() for line in figure.axes[0].lines]
    assert len(labels) == len(ESTIMATORS)
    for label, name in zip(labels, ESTIMATORS, strict=True):
        assert label.startswith(name)


def test_roc_auc_in_legend_matches_summary_pool(result):
    from sklearn.metrics import roc_auc_score

    frame = result.predictions[result.predictions.estimator == "features"]
    expected = roc_auc_score(frame.y_true, frame.proba)
    label = plot_roc_curves(result).axes[0].lines[0].get_label()
    assert f"{expected:.2f}" in label


def test_curves_reject_unknown_level(result):
    with pytest.raises(ValueError, match="level"):
        plot_roc_curves(result, level="eye")


def test_plot_landmarks_draws_contours_and_text(cohort):
    image, landmarks = cohort.images[0], cohort.landmarks[0]
    ax = plot_landmarks(image, landmarks, features={"eye_ratio": 0.912, "brow": 1.5})
    assert len(ax.lines) == len(IBUG68.contours) == 9
    assert len(ax.images) == 1
    right_eye = next(line for line in ax.lines if line.get_label() == "right_eye")
    # Closed contours come back to their first point.
    assert len(right_eye.get_xdata()) == 7
    np.testing.assert_allclose(right_eye.get_xdata()[0], landmarks[36, 0])
    assert "eye_ratio: 0.912" in ax.texts[0].get_text()
    assert len(plot_landmarks(None, landmarks).texts) == 0


@pytest.mark.parametrize("scheme_name", ["ibug68", "mediapipe478"])
def test_every_overlay_uses_the_review_pages_style(scheme_name, tmp_path):
    # Issue 27: thin contours coloured by region over a dark edge, and rings
    # only on the points that feed a measure (iBUG 68's and the irises), not
    # MediaPipe's 478 thick red dots; the review page takes the same colours
    # and points.
    from matplotlib import patheffects
    from PIL import Image

    from sklearn_palsy.faces import IBUG68_MEAN_FACE, get_scheme
    from sklearn_palsy.reporting._assessment import _photo_figure
    from sklearn_palsy.reporting._review import _scheme_data

    scheme = get_scheme(scheme_name)
    face = np.random.default_rng(0).uniform(-1, 1, (scheme.n_landmarks, 2))
    face[list(scheme.ibug_index)] = IBUG68_MEAN_FACE
    face = face * 60 + 130
    image = np.full((260, 260, 3), 120, dtype=np.uint8)
    path = tmp_path / "face.png"
    Image.fromarray(image).save(path)
    colours = {"brow": "#ffe14d", "eye": "#4de8ff", "nose": "#ffa64d",
               "lips": "#ff5ce1", "jaw": "#a8c8ff"}
    page = _scheme_data(scheme)
    page_colours = {name: colour for name, _, _, colour in page["contours"]}
    for ax in (plot_landmarks(image, face, scheme),
               _photo_figure(path, face, scheme).axes[0]):
        assert len(ax.lines) == 9
        for line in ax.lines:
            name = line.get_label()
            expected = next(c for part, c in colours.items() if part in name)
            assert line.get_color() == expected == page_colours[name]
            assert line.get_linewidth() <= 1.0
            assert any(isinstance(effect, patheffects.Stroke)
                       for effect in line.get_path_effects())
        (rings,) = ax.collections
        shown = 68 + (10 if scheme.has_irises else 0)
        assert len(rings.get_offsets()) == shown == len(page["emphasis"])
        assert (rings.get_facecolors().size == 0
                or (rings.get_facecolors()[:, 3] == 0).all())
    # The rings sit on iBUG 68's points (and, with MediaPipe, the irises').
    offsets = plot_landmarks(None, face, scheme).collections[0].get_offsets()
    np.testing.assert_allclose(offsets, face[page["emphasis"]])
    assert set(scheme.ibug_index) <= set(page["emphasis"])


def test_plot_landmarks_rejects_wrong_number_of_points(cohort):
    with pytest.raises(ValueError, match="68"):
        plot_landmarks(None, cohort.landmarks[0][:60])


def test_permutation_importance_bars(cohort):
    features = ExpressionFeatures(kinds=("symmetry",))
    X = features.fit_transform(cohort.landmarks)
    names = features.get_feature_names_out()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, cohort.y)
    figure = plot_permutation_importance(model, X, cohort.y, names, top=5)
    ax = figure.axes[0]
    assert len(ax.patches) == 5
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == sorted(widths)  # most important at the top
    shown = {label.get_text() for label in ax.get_yticklabels()}
    assert shown <= set(names) and len(shown) == 5


# ResNet's layer4 downsamples 32 times: at 32 pixels it is 1x1 and every
# Grad-CAM map is constant, so the maps are checked at 64 (2x2).
SIZE = 64


@pytest.fixture(scope="module")
def half_images():
    """Class 1 is bright on the image's left half, class 0 on its right."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 40, size=(16, SIZE, SIZE, 3)).astype(np.uint8)
    y = np.array([0, 1] * 8)
    images[y == 1, :, : SIZE // 2] += 200
    images[y == 0, :, SIZE // 2 :] += 200
    return images, y


@pytest.fixture(scope="module")
def resnet(half_images):
    images, y = half_images
    return ResNetClassifier(image_size=SIZE, max_epochs=2, augment="none",
                            batch_size=8, random_state=0).fit(images, y)


def test_grad_cam_maps(resnet, half_images):
    images, y = half_images
    module = resnet.net_.module_
    before = {k: v.clone() for k, v in module.state_dict().items()}
    # Training leaves the last step's gradients behind; they must stay as is.
    grads_before = [None if p.grad is None else p.grad.clone()
                    for p in module.parameters()]
    resnet.net_.module_.train()
    maps = grad_cam(resnet, images)
    assert maps.shape == (16, SIZE, SIZE)
    assert maps.dtype == np.float32
    assert np.isfinite(maps).all()
    assert maps.min() >= 0 and maps.max() <= 1
    # Each map with any positive evidence is scaled to peak at 1 and varies.
    peaks = maps.reshape(16, -1).max(axis=1)
    assert np.all((np.isclose(peaks, 1, atol=1e-5)) | (peaks == 0))
    palsy_maps = maps[(y == 1) & (peaks > 0)]
    assert len(palsy_maps) >= 2
    assert np.ptp(palsy_maps[0]) > 0.05
    assert np.abs(palsy_maps[0] - palsy_maps[1]).max() > 1e-3
    # Parameters, gradients, hooks and mode are left as they were.
    after = resnet.net_.module_.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    for grad, parameter in zip(grads_before, module.parameters(), strict=True):
        assert (grad is None and parameter.grad is None) or torch.equal(
            grad, parameter.grad)
    assert not resnet.net_.module_.trunk.layer4._forward_hooks
    assert resnet.net_.module_.training
    resnet.net_.module_.eval()


def test_grad_cam_warns_on_one_pixel_maps():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(4, 32, 32, 3), dtype=np.uint8)
    clf = ResNetClassifier(image_size=32, max_epochs=1, random_state=0)
    clf.fit(images, [0, 1, 0, 1])
    with pytest.warns(UserWarning, match="1x1"):
        maps = grad_cam(clf, images)
    assert maps.shape == (4, 32, 32)
    assert all(np.ptp(heatmap) < 1e-5 for heatmap in maps)


def test_grad_cam_rejects_unknown_layer(resnet, half_images):
    with pytest.raises(ValueError, match="layer9"):
        grad_cam(resnet, half_images[0][:1], target_layer="layer9")
    assert not resnet.net_.module_.trunk.layer4._forward_hooks


def test_plot_grad_cam_overlays():
    heatmap = np.linspace(0, 1, 16).reshape(4, 4)
    ax = plot_grad_cam(np.zeros((8, 8, 3), dtype=np.uint8), heatmap)
    assert len(ax.images) == 2
    np.testing.assert_allclose(ax.images[1].get_array(), heatmap)


def test_summary_and_patient_tables(result):
    table = summary_table(result)
    mean = result.summary.loc[("features", "image"), ("f1", "mean")]
    std = result.summary.loc[("features", "image"), ("f1", "std")]
    assert table.loc[("features", "image"), "f1"] == f"{mean:.3f} ± {std:.3f}"
    patients = patient_table(result)
    assert list(patients.columns) == ["patient_id", "y_true", *ESTIMATORS]
    assert len(patients) == 12
    first = patients.iloc[0]
    expected = result.predictions.query(
        "estimator == 'features' and patient_id == @first.patient_id").proba.mean()
    assert first["features"] == pytest.approx(expected)


def test_write_report_is_self_contained(result, tmp_path):
    extra = Figure()
    extra.subplots().plot([0, 1], [1, 0])
    path = write_report(tmp_path / "report.html", result, title="My <study>",
                        figures={"extra figure": extra},
                        extra_tables={"notes": pd.DataFrame({"n": [42]})})
    assert path == os.fspath(tmp_path / "report.html")
    text = open(path, encoding="utf-8").read()
    # 3 figure kinds x 2 levels, reliability and decision curves, plus the
    # extra one.
    assert text.count('<img alt="') == 9
    assert text.count('src="data:image/png;base64,') == 9
    assert "My &lt;study&gt;" in text
    mean = result.summary.loc[("features", "image"), ("f1", "mean")]
    assert f"{mean:.3f} ± " in text
    for patient in result.predictions.patient_id.unique():
        assert f"<td>{patient}</td>" in text
    for package, version in software_versions().items():
        assert package in text and version in text
    assert DISCLAIMER in text
    assert "research tool, not a medical device" in text
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text.lower() and "<link" not in text.lower()
    assert "extra figure" in text and "<td>42</td>" in text
    # Only the report is left in the folder: the temporary file was moved.
    assert os.listdir(tmp_path) == ["report.html"]


def test_write_report_embeds_valid_pngs(result, tmp_path):
    import base64

    text = open(write_report(tmp_path / "r.html", result), encoding="utf-8").read()
    blobs = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(blobs) == 8
    assert all(base64.b64decode(blob)[:8] == b"\x89PNG\r\n\x1a\n" for blob in blobs)


def test_software_versions_lists_required_packages():
    import sklearn

    versions = software_versions()
    assert set(versions) == {"python", "sklearn_palsy", "scikit-learn", "torch",
                             "torchvision", "skorch", "numpy", "pandas", "dlib"}
    assert versions["scikit-learn"] == sklearn.__version__


def test_write_report_closes_pyplot_figures(result, tmp_path):
    import matplotlib.pyplot as plt

    figure = plt.figure()
    figure.subplots().plot([0, 1])
    number = figure.number
    write_report(tmp_path / "r.html", result, figures={"pyplot": figure})
    assert not plt.fignum_exists(number)


@pytest.mark.slow  # fresh processes
def test_drawing_and_writing_reports_do_not_load_torch():
    """Only Grad-CAM needs torch; it is imported when first used."""
    import subprocess
    import sys

    code = ("import sys; from sklearn_palsy.reporting import plot_landmarks, "
            "write_report, DISCLAIMER; print('torch' in sys.modules); "
            "from sklearn_palsy.reporting import grad_cam; "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.split() == ["False", "True"]
