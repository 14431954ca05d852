"""landmark_quality_flags: each flag, its reason and the priority order."""

import numpy as np
import pytest

from sklearn_palsy.faces import IBUG68_MEAN_FACE
from sklearn_palsy.faces._schemes import MEDIAPIPE478
from sklearn_palsy.reporting import landmark_quality_flags
from sklearn_palsy.reporting._quality import (
    _MODEL_OFFSETS,
    DISAGREEMENT_THRESHOLD,
    FLAG_COLUMNS,
    model_disagreement,
)

SHAPE = (400, 400)


def _face(scale=80.0, centre=200.0):
    return IBUG68_MEAN_FACE * scale + centre


def _flags(faces, **options):
    options.setdefault("image_shapes", [SHAPE] * len(faces))
    return landmark_quality_flags(np.asarray(faces), **options)


def _raised(flags, row):
    return [c for c in FLAG_COLUMNS if flags.loc[row, c]]


def test_a_clean_face_raises_no_flag():
    flags = _flags([_face()])
    assert _raised(flags, 0) == [] and flags.loc[0, "reasons"] == ""
    assert flags.loc[0, "n_flags"] == 0


def test_unreadable_no_face_and_several_faces():
    missing = np.full((68, 2), np.nan)
    flags = _flags([missing, missing, _face()], n_faces=[0, 0, 3],
                   errors=["not an image: 'a.png'", None, None])
    assert _raised(flags, 0) == ["flag_unreadable"]
    assert flags.loc[0, "reasons"] == "unreadable: not an image: 'a.png'"
    assert _raised(flags, 1) == ["flag_no_face"]
    assert flags.loc[1, "reasons"] == "no face found"
    assert _raised(flags, 2) == ["flag_several_faces"]
    assert flags.loc[2, "reasons"] == "3 faces found (the largest is shown)"
    # Worst first: unreadable, then no face, then several faces.
    assert list(flags.sort_values("priority", ascending=False).index) == [0, 1, 2]


def test_head_pose_beyond_the_limits():
    turned = _face()
    turned[27:36, 0] += 30.0  # the nose towards the image's right: a turn
    flags = _flags([turned, _face()])
    yaw = flags.loc[0, "yaw"]
    assert yaw > 20.0 and abs(flags.loc[1, "yaw"]) < 1.0
    assert _raised(flags, 0) == ["flag_pose"] and _raised(flags, 1) == []
    assert flags.loc[0, "reasons"] == f"head pose: yaw {yaw:+.0f}° beyond ±20°"
    assert not _flags([turned], max_yaw=None)["flag_pose"].any()


def test_landmarks_at_or_beyond_the_border():
    face = _face()
    face[8, 1] = SHAPE[0] + 5  # the chin below the photo
    face[0, 0] = 0.5  # the jaw at its left edge
    flags = _flags([face])
    assert flags.loc[0, "border_points"] == 2
    assert flags.loc[0, "reasons"] == "2 landmarks at or beyond the image border"
    # Without the image's size there is no border to check.
    assert not landmark_quality_flags(face[None])["flag_border"].any()


def _mediapipe_like(ibug, offsets=_MODEL_OFFSETS):
    """478 points whose iBUG-68 points sit at ibug + the usual offsets."""
    right, left = ibug[36:42].mean(axis=0), ibug[42:48].mean(axis=0)
    along = left - right
    iod = np.linalg.norm(along)
    u = along / iod
    v = np.array([-u[1], u[0]])
    points = np.tile(ibug.mean(axis=0), (478, 1))
    shifted = ibug + iod * (offsets[:, :1] * u + offsets[:, 1:] * v)
    points[list(MEDIAPIPE478.ibug_index)] = shifted
    return points


def test_disagreement_of_the_two_models_in_iod():
    face = _face()
    agreeing = _mediapipe_like(face)
    iod = np.linalg.norm(face[42:48].mean(0) - face[36:42].mean(0))
    displaced = face + [0.05 * iod, 0.0]  # every point, 0.05 IOD to the right
    flags = _flags([face, displaced], other_landmarks=[agreeing, agreeing])
    assert flags.loc[0, "disagreement_iod"] == pytest.approx(0.0, abs=1e-9)
    assert flags.loc[1, "disagreement_iod"] == pytest.approx(0.05, abs=1e-9)
    assert list(flags["flag_disagreement"]) == [False, True]
    assert flags.loc[1, "reasons"].startswith(
        "the two landmark models disagree: 0.050 IOD (median over the 68 points; "
        f"flagged above {DISAGREEMENT_THRESHOLD:g})")
    # Reviewing MediaPipe's points against dlib's measures the same.
    shown = _mediapipe_like(displaced)
    found, _ = model_disagreement(shown[None], face[None], MEDIAPIPE478)
    assert found[0] == pytest.approx(0.05, abs=2e-3)


def test_disagreement_needs_the_other_scheme():
    with pytest.raises(ValueError, match="other landmark model"):
        _flags([_face()], other_landmarks=[_face()])


def test_eyes_closed_on_an_open_expression_and_open_on_closing():
    closed = _face()
    closed[[37, 38], 1] = closed[[41, 40], 1]  # the right upper lid on the lower
    wide = _face()
    wide[[37, 38, 43, 44], 1] -= 4.0  # both eyes wide open
    wide[[40, 41, 46, 47], 1] += 4.0
    flags = _flags([closed, wide], expressions=["smile", "close_eyes"])
    assert _raised(flags, 0) == ["flag_eyes"]
    assert flags.loc[0, "reasons"] == ("an eye is closed (0.03) but the expression "
                                       "is smile")
    assert _raised(flags, 1) == ["flag_eyes"]
    assert flags.loc[1, "reasons"] == ("both eyes are open (0.56) but the expression "
                                       "is close_eyes")
    # A closed eye on a closing photo is what the expression says.
    assert not _flags([closed], expressions=["close_eyes"])["flag_eyes"].any()


def _patient_with_right_palsy():
    rest = IBUG68_MEAN_FACE.copy()
    rest[17:22, 1] += 0.05
    rest[48, 1] += 0.05
    smile = rest.copy()
    smile[48] += [-0.03, -0.04]
    smile[54] += [0.12, -0.16]
    return rest * 80 + 200, smile * 80 + 200


def test_an_affected_side_that_contradicts_the_manifest():
    rest, smile = _patient_with_right_palsy()
    flags = _flags([rest, smile], expressions=["rest", "smile"], patients=["P", "P"],
                   sides=["left", "left"])
    assert list(flags["affected_side"]) == ["right", "right"]
    assert flags["flag_side"].all()
    assert flags.loc[0, "reasons"].endswith(
        "the landmarks put the affected side on the right, the manifest on the left")
    agreeing = _flags([rest, smile], expressions=["rest", "smile"],
                      patients=["P", "P"], sides=["right", "right"])
    assert not agreeing["flag_side"].any()
    assert agreeing.loc[0, "mouth"] == agreeing.loc[1, "mouth"] < 100


def test_measures_far_outside_the_cohort():
    rng = np.random.default_rng(0)
    faces = [_face() + rng.normal(0, 0.4, (68, 2)) for _ in range(12)]
    faces[3][54] += [60.0, 0.0]  # a mouth corner far out on the cheek
    flags = _flags(faces)
    assert list(np.flatnonzero(flags["flag_outlier"])) == [3]
    assert "measures far outside the cohort's: " in flags.loc[3, "reasons"]
    # Fewer than 8 faces give no range to be outside of.
    assert not _flags(faces[:5])["flag_outlier"].any()


def test_inputs_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match="expressions has 2 entries but there are 1 "
                                         "images"):
        _flags([_face()], expressions=["rest", "smile"])


@pytest.mark.slow
def test_the_disagreement_flag_finds_displaced_faces(synthetic_cohort):
    """On detected synthetic faces: displaced by 0.05 IOD found, others not.

    ``benchmarks/review_flags.py`` measures the same on 300 + 300 photos;
    here 40 photos of another cohort (random_state=0).
    """
    from sklearn_palsy.faces import analyze_faces

    cohort = synthetic_cohort(n_patients=10, n_controls=10,
                              expressions=("rest", "smile"), image_size=256)
    images = list(cohort.images)
    def detect(backend):
        return np.asarray([a.landmarks for a in analyze_faces(images, backend=backend)])

    shown, other = detect("mediapipe"), detect("dlib")
    flags = landmark_quality_flags(shown, other_landmarks=other)
    false_alarms = flags["flag_disagreement"].mean()
    ibug = MEDIAPIPE478.to_ibug68(shown)
    iod = np.linalg.norm(ibug[:, 42:48].mean(1) - ibug[:, 36:42].mean(1), axis=1)
    angle = np.random.default_rng(0).uniform(0, 2 * np.pi, len(shown))
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    displaced = shown + (0.05 * iod[:, None] * direction)[:, None, :]
    recall = landmark_quality_flags(displaced, other_landmarks=other)[
        "flag_disagreement"].mean()
    assert recall >= 0.9
    assert false_alarms <= 0.1
