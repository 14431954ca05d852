"""Tests of the OpenFace 2.x import, on CSVs written in OpenFace's format."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_palsy.exceptions import ManifestError
from sklearn_palsy.preprocessing._openface import OpenFaceActionUnits, read_openface_csv

AUS = ["01", "02", "04", "05", "06", "07", "09", "10", "12", "14", "15", "17",
       "20", "23", "25", "26", "45"]


def _openface_header():
    # The column order of OpenFace 2.2 FaceLandmarkImg output.
    header = ["face", "confidence", "success"]
    header += [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x",
                                                                   "gaze_angle_y"]
    header += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    header += [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)]
    header += [f"AU{a}_r" for a in AUS] + [f"AU{a}_c" for a in AUS + ["28"]]
    return header


def _write_openface_csv(path, faces):
    """Write rows as OpenFace does: ', '-separated with padded names."""
    header = _openface_header()
    lines = [", ".join(header)]
    for face_index, (confidence, intensities, landmarks) in enumerate(faces):
        values = {name: 0.0 for name in header}
        values.update(face=face_index, confidence=confidence, success=1)
        for i, (x, y) in enumerate(landmarks):
            values[f"x_{i}"], values[f"y_{i}"] = x, y
        for au, value in zip(AUS, intensities, strict=True):
            values[f"AU{au}_r"] = value
            values[f"AU{au}_c"] = float(value > 1)
        lines.append(", ".join(f"{values[name]:g}" for name in header))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def landmarks():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 200, size=(68, 2)).round(3)


def test_read_openface_csv_parses_every_block(tmp_path, landmarks):
    intensities = np.linspace(0, 4, len(AUS)).round(2)
    path = _write_openface_csv(tmp_path / "img.csv", [(0.97, intensities, landmarks)])
    data = read_openface_csv(path)
    assert list(data.au_intensity.columns) == [f"AU{a}_r" for a in AUS]
    assert list(data.au_presence.columns) == [f"AU{a}_c" for a in AUS + ["28"]]
    np.testing.assert_allclose(data.au_intensity.to_numpy()[0], intensities)
    np.testing.assert_allclose(data.landmarks[0], landmarks)
    assert data.confidence.tolist() == [0.97]
    assert data.success.tolist() == [True]
    assert data.au_presence["AU12_c"].iloc[0] == float(intensities[8] > 1)


def test_read_openface_csv_names_missing_columns(tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame({"confidence": [1.0], "success": [1]}).to_csv(path, index=False)
    with pytest.raises(ManifestError, match="other.csv.*x_0"):
        read_openface_csv(path)
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_openface_csv(tmp_path / "nope.csv")


def test_action_units_from_table_and_from_image_paths(tmp_path, landmarks):
    rng = np.random.default_rng(1)
    images, expected = [], []
    for name in ("a", "b", "c"):
        weak = rng.uniform(0, 5, len(AUS)).round(2)
        strong = rng.uniform(0, 5, len(AUS)).round(2)
        # Two faces: the most confident one must be chosen.
        _write_openface_csv(tmp_path / f"{name}.csv",
                            [(0.4, weak, landmarks), (0.95, strong, landmarks)])
        images.append(str(tmp_path / f"{name}.png"))
        expected.append(strong)
    selector = OpenFaceActionUnits(csv_dir=tmp_path)
    features = selector.fit_transform(np.array(images, dtype=object))
    np.testing.assert_allclose(features, np.array(expected))
    assert selector.get_feature_names_out().tolist() == [f"AU{a}_r" for a in AUS]

    table = read_openface_csv(tmp_path / "a.csv").frame
    both = OpenFaceActionUnits(kind="both").fit(table)
    assert len(both.get_feature_names_out()) == len(AUS) * 2 + 1
    presence = OpenFaceActionUnits(kind="presence").fit_transform(table)
    assert set(np.unique(presence)) <= {0.0, 1.0}


def test_action_units_refuse_nan_rows_and_missing_columns():
    table = pd.DataFrame({"AU01_r": [0.5, np.nan], "AU12_r": [1.0, 2.0]})
    selector = OpenFaceActionUnits().fit(table.iloc[:1])
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        selector.transform(table)
    with pytest.raises(ValueError, match="AU12_r"):
        selector.transform(table[["AU01_r"]])
    with pytest.raises(ValueError, match="no OpenFace action-unit"):
        OpenFaceActionUnits().fit(pd.DataFrame({"x": [1.0]}))


def action_unit_search(seed=2):
    """GridSearchCV by patient over action units whose AU12 carries the label;
    the table drawn from ``seed`` (``benchmarks/bound_spread.py`` too)."""
    rng = np.random.default_rng(seed)
    n = 40
    y = np.repeat([0, 1], n // 2)
    groups = np.repeat(np.arange(10), 4)
    table = pd.DataFrame({f"AU{a}_r": rng.normal(size=n) for a in AUS})
    table["AU12_r"] += 3 * y  # smiling AU carries the signal
    model = make_pipeline(OpenFaceActionUnits(), LogisticRegression())
    return GridSearchCV(model, {"logisticregression__C": [0.1, 1.0]},
                        cv=GroupKFold(5)).fit(table, y, groups=groups)


def test_action_units_in_grid_search_with_groups():
    search = action_unit_search()
    # Spread (benchmarks/bound_spread.py, 2026-12-06; data seeds 2 / 3 / 4, AVX2 and the
    # default ISA alike): 0.950 / 0.900 / 0.950, min 0.900. The bound was "> 0.9", which
    # seed 3 misses; 0.85 is below the minimum (chance 0.5).
    assert search.best_score_ > 0.85
    assert clone(OpenFaceActionUnits(kind="both")).get_params()["kind"] == "both"
