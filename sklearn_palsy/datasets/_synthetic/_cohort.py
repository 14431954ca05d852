"""make_synthetic_cohort: a cohort of synthetic photographs, in memory or on disk.

This module owns the cohort: it draws the people (identity, palsy side, type
and severity), photographs each once per expression and repeat with the
face model, the head pose and the painter of its sibling modules, labels the
images (a House-Brackmann-like grade among them) and, given ``output_dir``,
writes them as PNG files with a ``manifest.csv``.
"""

import numbers
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from ...utils._compat import Interval, StrOptions, validate_params
from ...utils._csv import write_csv_atomic
from ._face import (
    ASYMMETRIES,
    EXPRESSIONS,
    PALSY_TYPES,
    REGIONS,
    _wide_identity,
    draw_identity,
    draw_natural_asymmetry,
    face_shape,
    severity_by_region,
)
from ._head import (
    _angle_range,
    _draw_angle,
    _face_depth,
    _pose,
    _pose_3d,
    _wide_framing,
)
from ._painter import _wide_look, render

__all__ = ["VARIETIES", "make_synthetic_cohort"]

VARIETIES = ("standard", "wide")


def _house_brackmann_like(severity):
    """Map a severity in [0, 1] onto grades 1 (normal) to 6 (total paralysis).

    The synthetic severity is a single number, so this is only a rough
    stand-in for a House-Brackmann grade, useful to exercise multi-class code.
    The cohort passes the lower face's (mouth's) severity, also for a central
    palsy, which House-Brackmann, made for peripheral palsy, does not grade.
    """
    return int(np.clip(np.ceil(severity * 5 - 1e-9), 0, 5)) + 1


def _synkinesis_range(synkinesis):
    """``synkinesis`` as a ``(low, high)`` range, checked."""
    if isinstance(synkinesis, tuple):
        if len(synkinesis) != 2 or not all(
            isinstance(value, numbers.Real) for value in synkinesis
        ):
            raise ValueError(
                f"synkinesis must be a float or a (low, high) pair; got {synkinesis}"
            )
        low, high = (float(value) for value in synkinesis)
    else:
        low = high = float(synkinesis)
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(
            f"synkinesis must satisfy 0 <= low <= high <= 1; got {synkinesis}"
        )
    return low, high


def _draw_synkinesis(rng, synkinesis_range, fraction, palsy_type):
    """One person's synkinesis severity; two draws for everyone.

    Only a peripheral palsy (the nerve regrowing astray) gets synkinesis,
    each such patient with probability ``fraction``.
    """
    affected = rng.random() < fraction
    severity = float(rng.uniform(*synkinesis_range))
    return severity if affected and palsy_type == "peripheral" else 0.0


@validate_params(
    {
        "n_patients": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_controls": [Interval(numbers.Integral, 0, None, closed="left")],
        "expressions": ["array-like"],
        "image_size": [Interval(numbers.Integral, 64, None, closed="left")],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "severity_range": [tuple],
        "palsy_types": ["array-like"],
        "control_smile_gain": [Interval(numbers.Real, 0, None, closed="neither")],
        "synkinesis": [Interval(numbers.Real, 0, 1, closed="both"), tuple],
        "synkinesis_fraction": [Interval(numbers.Real, 0, 1, closed="both")],
        "natural_asymmetry": ["boolean", None],
        "yaw": [numbers.Real, "array-like", None],
        "pitch": [numbers.Real, "array-like", None],
        "variety": [StrOptions(set(VARIETIES))],
        "random_state": ["random_state"],
        "output_dir": [str, os.PathLike, None],
    },
    prefer_skip_nested_validation=True,
)
def make_synthetic_cohort(
    n_patients=21,
    n_controls=21,
    expressions=EXPRESSIONS,
    image_size=224,
    *,
    n_repeats=1,
    severity_range=(0.4, 1.0),
    palsy_types=("peripheral",),
    control_smile_gain=1.0,
    synkinesis=0.0,
    synkinesis_fraction=1.0,
    natural_asymmetry=None,
    yaw=None,
    pitch=None,
    variety="standard",
    random_state=None,
    output_dir=None,
):
    """Generate a cohort of synthetic face photographs with and without palsy.

    Each person gets an identity (face shape and proportions, skin tone, hair,
    background and lighting) and is photographed once per expression (and per
    repeat), each time with fresh head-pose jitter and sensor noise. Patients
    have a unilateral palsy on a random side with a random severity. A
    peripheral palsy (lower motor neuron, as in Bell's palsy) weakens the
    whole half face:

    - at rest the brow droops, the lower lid sags and the mouth corner falls;
    - on voluntary expressions the affected side moves only ``1 - severity``
      as far: the brow barely rises, the eye does not close completely, the
      mouth corner lags on smiling and puckering;
    - the nasolabial fold on the affected side is flattened.

    A central palsy (upper motor neuron, as after a stroke) spares the
    forehead: the brow neither droops nor lags on raising the eyebrows, the
    eye's severity is 15 % of the patient's (closure nearly complete, hardly
    any lid sag), and the lower face (mouth corner, smile, pucker, nasolabial
    fold) is weakened at the full severity.

    Controls are symmetric up to pose and natural variation. Nothing here is
    real patient data, and a model that does well on it has shown only that
    it can read the signs the renderer paints.

    Synkinesis and natural asymmetry (both off by default). Given
    ``synkinesis``, both eyes narrow on smiling, a healthy one by 21.6 % of
    its palpebral fissure (the published mean of normal eyes, scaled by the
    side's eye movement), and some patients have synkinesis, the aberrant
    co-contraction after a peripheral palsy regrows: each peripheral palsy
    with probability ``synkinesis_fraction``, a severity drawn uniformly from
    ``synkinesis`` (central palsies and controls have none). On the affected
    side the eye then narrows, on smiling and on puckering, from its palsied
    share of the normal narrowing towards 32.7 % at severity 1 (the published
    mean of synkinetic eyes; a healthy eye does not narrow on puckering), and
    closing the eyes pulls the mouth corner outwards and up (0.086
    inter-ocular distances at severity 1, about 40 % of a smile's). The
    palsy's severity and the synkinesis are drawn independently.
    ``natural_asymmetry=True`` (the default of the wide variety) gives
    everyone, controls included, the asymmetry of healthy faces: per region
    (brow, eye, mouth) the weaker side's movement falls short by
    ``|N(0, 0.1)|``, clipped to 30 % (a mean of 8 %, within the 7-9 %
    movement asymmetry of healthy people), and at rest the brows differ in
    height (sd 0.03 inter-ocular distances, a mean difference of about
    1.7 mm), the mouth corners too (sd 0.022: the commissure line leans
    against the canthal line by about 1.35 degrees, sd) and one upper lid
    sits lower (sd 8.5 % of the fissure, a mean margin-to-reflex difference
    of about 0.55 mm), as published normal series measure them (the
    sources are in the docs' reference-model page). Both draw from
    generators of their own: the people, palsies, poses and noise stay those
    of the cohort without them, and a photo at rest without natural asymmetry
    is unchanged by ``synkinesis``.

    Head pose. By default the faces are frontal, with the small jitter of the
    first cohorts (an in-plane roll of sd 3 degrees and a foreshortening of
    at most 8 % at the far contour that moves no nose). Given ``yaw`` or
    ``pitch``, each face is turned in 3-D instead: every landmark, and every
    shape the painter derives from them (outline, ears, hair, eyes, nose),
    has a depth from a generic face profile (nose tip forward, eyes set back,
    cheeks and contour receding), is rotated by yaw then pitch about a point
    at the top of the neck and projected with a mild perspective. A face
    turned by 30 degrees looks turned: its far half narrows, the nose moves
    towards the turn, the near ear shows and the far one hides.

    Variety. ``variety="wide"`` makes the photos vary as widely as real ones
    do, so that a model trained on them has to cope with what is not palsy:

    - identity: wider face proportions (width, length, jaw, nose, eyes,
      depth), a continuous range of skin tones with hair whose pigment
      follows the skin's (the darker the skin, the nearer black), age (grey
      hair, the brows greying half as much, forehead lines, crow's feet,
      deeper nasolabial folds, hooded lids), so that the brows stay darker
      than the forehead, as they are in photographs of people;
    - lighting: light mostly from one side with its own strength and
      elevation (a shading gradient across the face, which mimics left-right
      asymmetry), a cast shadow of the nose, colour temperature, exposure;
    - pose: yaw within 15, pitch within 10 and roll within 5 degrees, unless
      ``yaw`` or ``pitch`` are given;
    - camera: perspective from a phone at arm's length to a telephoto,
      defocus, motion blur, sensor noise, white balance, resolution
      (downscaled and upscaled again) and JPEG compression;
    - expression: each person's amplitude (0.65 to 1.2 of the nominal
      movement), varied again per photo, within 0.5 to 1.3;
    - framing: the face's size and position in the image.

    The wide variety draws from a generator of its own, so a wide cohort has
    the same people, palsy sides, types and severities as the standard one
    with the same ``random_state``.

    Parameters
    ----------
    n_patients : int, default=21
        Number of people with palsy (label 1).
    n_controls : int, default=21
        Number of people without palsy (label 0).
    expressions : sequence of str, default=("rest", "smile", "raise_eyebrows", \
"close_eyes", "pucker")
        Expressions to photograph, from those five.
    image_size : int, default=224
        Side of the square images in pixels; at least 64.
    n_repeats : int, default=1
        Photographs per person and expression, each with its own pose and
        noise.
    severity_range : tuple of float, default=(0.4, 1.0)
        Range of the uniform palsy severity, 0 (none) to 1 (no movement).
    palsy_types : sequence of str, default=("peripheral",)
        Types of palsy, from "peripheral" and "central"; each patient's type
        is drawn uniformly from the distinct types given. With one type no
        random number is drawn for it, so ``("central",)`` gives the same
        people, sides, severities, poses and noise as the default, with only
        the palsy's pattern changed.
    control_smile_gain : float, default=1.0
        Factor on the controls' smile (mouth widening and commissure lift);
        patients smile as before. Above 1 mimics photo sets in which controls
        smile more broadly than patients, which misleads features of size
        (such as mouth width) but not those comparing the two sides.
    synkinesis : float or (float, float), default=0.0
        Severity of synkinesis in [0, 1], a value or a ``(low, high)`` range
        drawn uniformly per patient, for the peripheral palsies that have it.
        0 draws no synkinesis and no eye narrowing on smiling: the cohort of
        earlier versions, bit for bit.
    synkinesis_fraction : float, default=1.0
        Probability in [0, 1] that a peripheral palsy has synkinesis, when
        ``synkinesis`` is not 0.
    natural_asymmetry : bool or None, default=None
        Give every face the static and movement asymmetry of healthy faces
        described above. None means True for the wide variety (real faces
        are not symmetric) and False for the standard one (the cohort of
        earlier versions, bit for bit).
    yaw : float, (float, float) or None, default=None
        Head turn in degrees, within [-60, 60]: a value for every image, or a
        ``(low, high)`` range drawn uniformly per image. Positive turns the
        face towards the image's right (the nose moves right; the subject
        turns to their own left). None means 0 for the standard variety and
        ``(-15, 15)`` for the wide one. With ``variety="standard"``, 0 (or
        None) for both angles keeps the frontal path, bit for bit the cohort
        of earlier versions; any other value renders every image in 3-D.
    pitch : float, (float, float) or None, default=None
        Head tilt in degrees, within [-40, 40], given like ``yaw``. Positive
        tilts the face up (chin up, the nose moves up in the image). None
        means 0 for the standard variety and ``(-10, 10)`` for the wide one.
    variety : {"standard", "wide"}, default="standard"
        "wide" varies identity, age, lighting, pose, camera, expression
        amplitude and framing as described above; "standard" keeps the
        cohort of earlier versions.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible cohorts.
    output_dir : str or path-like, default=None
        If given, the images are written there as PNG files together with a
        ``manifest.csv`` that :func:`load_manifest` reads, and the returned
        ``X`` holds their paths instead of the arrays.

    Returns
    -------
    cohort : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``images``: ndarray of shape (n_images, image_size, image_size, 3),
          uint8 RGB (only when ``output_dir`` is None);
        - ``X``: the estimators' input, the images array, or the 1-D array of
          absolute file paths when ``output_dir`` is given;
        - ``y``: ndarray of shape (n_images,), 1 for palsy (of either type),
          0 for control;
        - ``groups``: ndarray of patient ids, one per image;
        - ``expression``: ndarray of the expression in each image;
        - ``landmarks``: ndarray of shape (n_images, 68, 2), the ground-truth
          iBUG 300-W landmarks in pixels; for turned faces the projections of
          the 3-D points, so the far jaw line lies where the 3-D contour
          projects, not on the visible outline;
        - ``side``: ndarray with the affected side ("left" or "right",
          the subject's own) or "none";
        - ``palsy_type``: ndarray of "peripheral", "central" or "none", a
          three-class target;
        - ``severity``: ndarray of floats, the patient's severity (that of the
          lower face), 0 for controls;
        - ``region_severity``: DataFrame of shape (n_images, 4) with columns
          "brow", "eye", "midface" (the nasolabial fold) and "mouth", the
          severity the renderer applied to each region of the affected side:
          all equal to ``severity`` for a peripheral palsy; 0, 0.15 *
          ``severity``, ``severity`` and ``severity`` for a central one; 0 for
          controls;
        - ``grade``: ndarray of ints from 1 (normal) to 6, a House-Brackmann-like
          grade, ``ceil(5 * severity) + 1`` from the lower face's severity for
          both types. It is a stand-in to exercise ordinal code, not a
          clinical grading: House-Brackmann was made for peripheral palsy and
          would weigh a spared forehead;
        - ``yaw``, ``pitch``: ndarrays of floats, the true head-pose angles
          of each image in degrees (the conventions of ``yaw`` and
          ``pitch``); 0.0 for the frontal path, whose tiny pseudo-yaw is no
          rotation and moves no nose;
        - ``roll``: ndarray of floats, the in-plane rotation of each image in
          degrees, positive counter-clockwise on screen (the jitter of sd 3
          degrees; within 5 degrees for the wide variety);
        - ``synkinesis``: ndarray of floats, the patient's synkinesis
          severity, 0 for those without synkinesis and for everyone when
          ``synkinesis`` is 0;
        - ``natural_asymmetry``: DataFrame of shape (n_images, 6), each
          person's natural asymmetry, signed, positive where the subject's
          right is the weaker or lower side: "brow", "eye" and "mouth", the
          share by which that side's movement falls short of the other's
          (``|L - R| / max``); "brow_height" and "commissure_height", the
          difference at rest in inter-ocular distances; "fissure", the share
          by which the right palpebral fissure is lower. All 0 without
          ``natural_asymmetry``;
        - ``frame``: a DataFrame with one row per image and the columns
          ``patient_id``, ``label``, ``expression``, ``repeat``, ``side``,
          ``palsy_type``, ``severity``, ``severity_brow``, ``severity_eye``,
          ``severity_midface``, ``severity_mouth``, ``grade``, ``yaw``,
          ``pitch`` and ``roll``; then ``synkinesis`` when ``synkinesis`` is
          not 0, and ``asymmetry_brow``, ``asymmetry_eye``,
          ``asymmetry_mouth``, ``asymmetry_brow_height``,
          ``asymmetry_fissure`` and ``asymmetry_commissure_height`` with
          ``natural_asymmetry``; plus ``image`` first when written to disk
          (the manifest has the same columns);
        - ``manifest``: the manifest's path, when ``output_dir`` is given.

    See Also
    --------
    load_manifest : Read a cohort written with ``output_dir``.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=2, n_controls=1,
    ...                                expressions=("rest", "smile"),
    ...                                image_size=96, random_state=0)
    >>> cohort.images.shape
    (6, 96, 96, 3)
    >>> cohort.y.tolist()
    [1, 1, 1, 1, 0, 0]
    >>> sorted(set(cohort.groups))
    ['C01', 'P01', 'P02']

    Central and peripheral palsy side by side, with the severity the
    renderer applied to each region:

    >>> mixed = make_synthetic_cohort(n_patients=3, n_controls=1,
    ...                               expressions=("rest",), image_size=64,
    ...                               palsy_types=("peripheral", "central"),
    ...                               random_state=0)
    >>> mixed.palsy_type.tolist()
    ['central', 'central', 'peripheral', 'none']
    >>> mixed.region_severity.round(2)
       brow   eye  midface  mouth
    0  0.00  0.11     0.73   0.73
    1  0.00  0.15     0.99   0.99
    2  0.77  0.77     0.77   0.77
    3  0.00  0.00     0.00   0.00

    Faces turned by known angles, and a cohort that varies like real photos:

    >>> turned = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                                expressions=("rest",), image_size=64,
    ...                                yaw=(-30, 30), pitch=10.0, random_state=0)
    >>> turned.yaw.round(1).tolist(), turned.pitch.tolist()
    ([-16.0, 26.2], [10.0, 10.0])
    >>> wide = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                              expressions=("rest",), image_size=64,
    ...                              variety="wide", random_state=0)
    >>> wide.yaw.round(1).tolist(), wide.roll.round(1).tolist()
    ([12.7, -4.4], [2.5, -1.1])
    >>> wide.side.tolist() == turned.side.tolist()  # the same people
    True

    Synkinesis for every peripheral palsy, and healthy faces' asymmetry:

    >>> synkinetic = make_synthetic_cohort(n_patients=2, n_controls=1,
    ...                                    expressions=("rest",), image_size=64,
    ...                                    synkinesis=(0.2, 1.0),
    ...                                    natural_asymmetry=True, random_state=0)
    >>> synkinetic.synkinesis.round(2).tolist()
    [0.41, 0.86, 0.0]
    >>> synkinetic.natural_asymmetry["mouth"].round(3).tolist()
    [0.046, 0.03, 0.12]
    """
    expressions = tuple(expressions)
    unknown = sorted(set(expressions) - set(EXPRESSIONS))
    if unknown or not expressions:
        raise ValueError(
            f"expressions must be a non-empty subset of {EXPRESSIONS}; got {unknown}"
        )
    # Distinct types in the order given, so that the draw is reproducible.
    palsy_types = tuple(dict.fromkeys(palsy_types))
    unknown = [kind for kind in palsy_types if kind not in PALSY_TYPES]
    if unknown or not palsy_types:
        raise ValueError(
            f"palsy_types must be a non-empty subset of {PALSY_TYPES}; "
            f"got {unknown or 'none'}"
        )
    low, high = severity_range
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(
            f"severity_range must satisfy 0 <= low <= high <= 1; got {severity_range}"
        )
    synkinesis_range = _synkinesis_range(synkinesis)
    yaw_range = _angle_range(yaw, "yaw", variety)
    pitch_range = _angle_range(pitch, "pitch", variety)
    wide = variety == "wide"
    # Frontal faces keep the painter and the pose of the first cohorts, and
    # so their images, bit for bit.
    frontal = not wide and yaw_range == (0.0, 0.0) and pitch_range == (0.0, 0.0)
    if natural_asymmetry is None:
        natural_asymmetry = wide
    rng = check_random_state(random_state)
    seed = rng.randint(np.iinfo(np.int32).max)
    generator = np.random.default_rng(seed)
    # Angles and the wide variety draw from a generator of their own, so that
    # the main one gives the same people, severities and noise as before.
    extra = np.random.default_rng([seed, 17])
    # Synkinesis and natural asymmetry draw from generators of their own, made
    # only when asked for, so that they change nothing else.
    synkinetic = synkinesis_range[1] > 0
    synkinesis_rng = np.random.default_rng([seed, 29]) if synkinetic else None
    asymmetry_rng = np.random.default_rng([seed, 31]) if natural_asymmetry else None

    people = [(f"P{i + 1:02d}", 1) for i in range(n_patients)] + [
        (f"C{i + 1:02d}", 0) for i in range(n_controls)
    ]
    images, rows, landmark_list = [], [], []
    for patient_id, label in people:
        identity = draw_identity(generator)
        side = str(generator.choice(["left", "right"])) if label else None
        severity = float(generator.uniform(low, high)) if label else 0.0
        # New draws come last and only when asked for, so that the default
        # cohort stays what it was.
        if not label:
            palsy_type = "none"
        elif len(palsy_types) > 1:
            palsy_type = palsy_types[generator.integers(len(palsy_types))]
        else:
            palsy_type = palsy_types[0]
        region_severity = severity_by_region(palsy_type, severity)
        smile_gain = 1.0 if label else float(control_smile_gain)
        person_synkinesis = (
            _draw_synkinesis(synkinesis_rng, synkinesis_range, synkinesis_fraction,
                             palsy_type)
            if synkinetic else None
        )
        asymmetry = (
            draw_natural_asymmetry(asymmetry_rng) if natural_asymmetry else None
        )
        movement = {
            "synkinesis": person_synkinesis, "asymmetry": asymmetry,
        } if synkinetic or natural_asymmetry else {}
        if wide:
            identity = _wide_identity(identity, extra)
        depth = _face_depth(identity)
        for expression in expressions:
            shape = face_shape(
                identity, expression, side, severity,
                region_severity=region_severity, smile_gain=smile_gain,
                **movement,
            )
            rest = shape if expression == "rest" or not wide else face_shape(
                identity, "rest", side, severity,
                region_severity=region_severity, smile_gain=smile_gain,
                **movement,
            )
            for repeat in range(n_repeats):
                if frontal:
                    landmarks, angle = _pose(shape, generator, image_size,
                                             return_angle=True)
                    image = render(landmarks, identity, expression, generator,
                                   image_size, side, region_severity["midface"])
                    pose = (0.0, 0.0, -float(np.degrees(angle)))
                else:
                    photo_yaw = _draw_angle(extra, yaw_range)
                    photo_pitch = _draw_angle(extra, pitch_range)
                    photo_shape, framing, look = shape, None, None
                    if wide:
                        # This photo's expression amplitude: the person's,
                        # varied from photo to photo.
                        gain = np.clip(identity["expression_gain"]
                                       * extra.uniform(0.85, 1.15), 0.5, 1.3)
                        photo_shape = rest + gain * (shape - rest)
                        framing = _wide_framing(extra)
                        look = _wide_look(extra, identity, image_size)
                    landmarks, head = _pose_3d(
                        photo_shape, generator, image_size, yaw=photo_yaw,
                        pitch=photo_pitch, depth=depth, framing=framing,
                    )
                    image = render(landmarks, identity, expression, generator,
                                   image_size, side, region_severity["midface"],
                                   head=head, look=look)
                    pose = (head.yaw, head.pitch, head.roll)
                images.append(image)
                landmark_list.append(landmarks)
                rows.append({
                    "patient_id": patient_id,
                    "label": label,
                    "expression": expression,
                    "repeat": repeat,
                    "side": side or "none",
                    "palsy_type": palsy_type,
                    "severity": severity,
                    **{
                        f"severity_{region}": region_severity[region]
                        for region in REGIONS
                    },
                    "grade": _house_brackmann_like(region_severity["mouth"]),
                    **dict(zip(("yaw", "pitch", "roll"), pose, strict=True)),
                    "synkinesis": person_synkinesis or 0.0,
                    **{
                        f"asymmetry_{name}": asymmetry[name] if asymmetry else 0.0
                        for name in ASYMMETRIES
                    },
                })

    region_columns = [f"severity_{region}" for region in REGIONS]
    asymmetry_columns = [f"asymmetry_{name}" for name in ASYMMETRIES]
    frame = pd.DataFrame(rows, columns=[
        "patient_id", "label", "expression", "repeat", "side", "palsy_type",
        "severity", *region_columns, "grade", "yaw", "pitch", "roll",
        "synkinesis", *asymmetry_columns,
    ])
    truth = frame[["synkinesis", *asymmetry_columns]]
    # The table keeps the columns of earlier versions unless asked for more.
    frame = frame.drop(columns=[
        *([] if synkinetic else ["synkinesis"]),
        *([] if natural_asymmetry else asymmetry_columns),
    ])
    images = np.stack(images) if images else np.empty(
        (0, image_size, image_size, 3), np.uint8
    )
    cohort = Bunch(
        y=frame["label"].to_numpy(),
        groups=frame["patient_id"].to_numpy(dtype=object),
        expression=frame["expression"].to_numpy(dtype=object),
        landmarks=np.stack(landmark_list) if landmark_list else np.empty((0, 68, 2)),
        side=frame["side"].to_numpy(dtype=object),
        palsy_type=frame["palsy_type"].to_numpy(dtype=object),
        severity=frame["severity"].to_numpy(),
        region_severity=frame[region_columns].set_axis(list(REGIONS), axis=1),
        grade=frame["grade"].to_numpy(),
        yaw=frame["yaw"].to_numpy(dtype=np.float64),
        pitch=frame["pitch"].to_numpy(dtype=np.float64),
        roll=frame["roll"].to_numpy(dtype=np.float64),
        synkinesis=truth["synkinesis"].to_numpy(dtype=np.float64),
        natural_asymmetry=truth[asymmetry_columns].set_axis(
            list(ASYMMETRIES), axis=1
        ),
        frame=frame,
    )
    if output_dir is None:
        cohort.images = images
        cohort.X = images
        return cohort

    from PIL import Image

    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    names = [
        f"{row.patient_id}/{row.patient_id}_{row.expression}_{row.repeat}.png"
        for row in frame.itertuples()
    ]
    for name, image in zip(names, images, strict=True):
        (output_dir / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(output_dir / name)
    frame.insert(0, "image", names)
    manifest = output_dir / "manifest.csv"
    write_csv_atomic(frame, manifest)
    cohort.X = np.array([str(output_dir / name) for name in names], dtype=object)
    cohort.manifest = str(manifest)
    cohort.frame = frame
    return cohort
