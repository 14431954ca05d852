"""Landmark schemes: which point is which, by region and by side of the face.

A :class:`LandmarkScheme` names the regions of a landmark layout (brows, eyes,
nose, lips, jaw, irises), pairs each point with its mirror image, gives the
polylines a renderer draws, and maps the layout onto the 68 points of iBUG
300-W, so that every feature can be computed the same way from either scheme.

Conventions
-----------
Image coordinates: x runs to the right and y downwards. Regions are named by
the **subject's** side: the subject's right lies on the image's left (iBUG
points 17-21 and 36-41, MediaPipe points 33 and 468). Every mirror pair is
written ``(subject's right, subject's left)``.
"""

from dataclasses import dataclass, field

import numpy as np

from ..exceptions import InvalidLandmarksError

__all__ = [
    "IBUG68",
    "IBUG68_MEAN_FACE",
    "MEDIAPIPE478",
    "SCHEME_NAMES",
    "LandmarkScheme",
    "get_scheme",
    "infer_scheme",
    "resolve_scheme",
]


@dataclass(frozen=True, eq=True)
class LandmarkScheme:
    """A landmark layout: its regions, mirror pairs, contours and iBUG mapping.

    Instances are immutable descriptions; use the two shipped ones,
    :data:`IBUG68` and :data:`MEDIAPIPE478`, or :func:`get_scheme`.

    Parameters
    ----------
    name : str
        Short name, such as ``"ibug68"``.
    n_landmarks : int
        Number of points K in one face.
    regions : dict of str to tuple of int
        Point indices of each region, named by the subject's side (the
        subject's right is the image's left): at least ``"jaw"``,
        ``"right_brow"``, ``"left_brow"``, ``"nose_bridge"``, ``"nose_base"``,
        ``"right_eye"``, ``"left_eye"``, ``"outer_lips"`` and ``"inner_lips"``,
        plus ``"right_iris"`` and ``"left_iris"`` (centre first, then four rim
        points) where the scheme has irises.
    mirror_pairs : tuple of (int, int)
        Points that swap places when the face is mirrored left-right, each
        written ``(subject's right, subject's left)``.
    midline : tuple of int
        Points on the facial midline, which mirror onto themselves.
    contours : dict of str to (tuple of int, bool)
        Polylines to draw, each with whether it is closed.
    ibug_index : tuple of int
        For each of the 68 iBUG 300-W points, the index of the point of this
        scheme that stands for it.

    Attributes
    ----------
    mirror_permutation : ndarray of shape (n_landmarks,)
        ``p`` such that mirroring the face sends landmark ``k`` to ``p[k]``.
    has_irises : bool
        Whether the scheme has iris points.

    See Also
    --------
    get_scheme : Look a scheme up by name.
    sklearn_palsy.faces.align_landmarks : Align landmarks of any scheme.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68, MEDIAPIPE478
    >>> IBUG68.regions["right_eye"]
    (36, 37, 38, 39, 40, 41)
    >>> int(IBUG68.mirror_permutation[36])
    45
    >>> MEDIAPIPE478.n_landmarks, MEDIAPIPE478.has_irises
    (478, True)
    >>> MEDIAPIPE478.ibug_index[48]  # the subject's right mouth corner
    61
    """

    name: str
    n_landmarks: int
    regions: dict = field(repr=False)
    mirror_pairs: tuple = field(repr=False)
    midline: tuple = field(repr=False)
    contours: dict = field(repr=False)
    ibug_index: tuple = field(repr=False)

    def __post_init__(self):
        seen = [i for pair in self.mirror_pairs for i in pair] + list(self.midline)
        if sorted(seen) != list(range(self.n_landmarks)):
            raise ValueError(
                f"scheme {self.name!r}: mirror_pairs and midline must list every "
                f"point 0..{self.n_landmarks - 1} exactly once"
            )
        if len(self.ibug_index) != 68:
            raise ValueError(f"scheme {self.name!r}: ibug_index needs 68 entries")
        for name, indices in self.regions.items():
            if not all(0 <= i < self.n_landmarks for i in indices):
                raise ValueError(f"scheme {self.name!r}: region {name!r} out of range")

    # Regions are dicts, which cannot be hashed; the name and size identify a
    # scheme well enough for sets and dict keys.
    def __hash__(self):
        return hash((self.name, self.n_landmarks))

    def __reduce_ex__(self, protocol):
        # The shipped schemes unpickle (and deep-copy, as clone does) to the
        # very same objects, so ``scheme is IBUG68`` survives joblib and clone.
        if _REGISTRY.get(self.name) is self:
            return (get_scheme, (self.name,))
        return super().__reduce_ex__(protocol)

    @property
    def mirror_permutation(self):
        permutation = np.arange(self.n_landmarks)
        for right, left in self.mirror_pairs:
            permutation[right] = left
            permutation[left] = right
        return permutation

    @property
    def has_irises(self):
        return "right_iris" in self.regions and "left_iris" in self.regions

    def to_ibug68(self, landmarks):
        """Pick the 68 iBUG-equivalent points out of landmarks of this scheme.

        Parameters
        ----------
        landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
            Landmarks of this scheme.

        Returns
        -------
        ibug : ndarray of shape (n_samples, 68, 2) or (68, 2)
            The points standing for iBUG points 0-67, in iBUG order.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_palsy.faces._schemes import MEDIAPIPE478
        >>> MEDIAPIPE478.to_ibug68(np.zeros((3, 478, 2))).shape
        (3, 68, 2)
        """
        landmarks = np.asarray(landmarks, dtype=np.float64)
        expected = (self.n_landmarks, 2)
        if landmarks.ndim not in (2, 3) or landmarks.shape[-2:] != expected:
            raise InvalidLandmarksError(
                f"expected landmarks of shape (n, {self.n_landmarks}, 2) for the "
                f"{self.name} scheme; got {landmarks.shape}"
            )
        return landmarks[..., list(self.ibug_index), :]


# --------------------------------------------------------------------------
# iBUG 300-W, 68 points (dlib), 0-based.

_IBUG_MIRROR_PAIRS = (
    tuple((i, 16 - i) for i in range(8))  # jaw
    + ((17, 26), (18, 25), (19, 24), (20, 23), (21, 22))  # brows
    + ((36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46))  # eyes
    + ((31, 35), (32, 34))  # nose base
    + ((48, 54), (49, 53), (50, 52), (59, 55), (58, 56))  # outer lips
    + ((60, 64), (61, 63), (67, 65))  # inner lips
)
_IBUG_MIDLINE = (8, 27, 28, 29, 30, 33, 51, 57, 62, 66)

_IBUG_REGIONS = {
    "jaw": tuple(range(0, 17)),
    "right_brow": tuple(range(17, 22)),
    "left_brow": tuple(range(22, 27)),
    "nose_bridge": tuple(range(27, 31)),
    "nose_base": tuple(range(31, 36)),
    "right_eye": tuple(range(36, 42)),
    "left_eye": tuple(range(42, 48)),
    "outer_lips": tuple(range(48, 60)),
    "inner_lips": tuple(range(60, 68)),
}

IBUG68 = LandmarkScheme(
    name="ibug68",
    n_landmarks=68,
    regions=_IBUG_REGIONS,
    mirror_pairs=_IBUG_MIRROR_PAIRS,
    midline=_IBUG_MIDLINE,
    contours={
        "jaw": (_IBUG_REGIONS["jaw"], False),
        "right_brow": (_IBUG_REGIONS["right_brow"], False),
        "left_brow": (_IBUG_REGIONS["left_brow"], False),
        "nose_bridge": (_IBUG_REGIONS["nose_bridge"], False),
        "nose_base": (_IBUG_REGIONS["nose_base"], False),
        "right_eye": (_IBUG_REGIONS["right_eye"], True),
        "left_eye": (_IBUG_REGIONS["left_eye"], True),
        "outer_lips": (_IBUG_REGIONS["outer_lips"], True),
        "inner_lips": (_IBUG_REGIONS["inner_lips"], True),
    },
    ibug_index=tuple(range(68)),
)

# --------------------------------------------------------------------------
# MediaPipe Face Mesh with irises, 478 points.
#
# Mirror pairs come from MediaPipe's canonical face model
# (face_geometry/data/canonical_face_model.obj), whose vertex k is landmark k
# and which is exactly symmetric: vertices 0-247 hold the 28 midline points and
# one half of the face (the subject's right, negative x), and vertices 248-467
# are the mirror images of that half's points, in the same order. Checked
# against the FACEMESH_* connection sets in the tests.
# fmt: off
_MEDIAPIPE_MIDLINE_MESH = (
    0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    94, 151, 152, 164, 168, 175, 195, 197, 199, 200,
)
# fmt: on
_MEDIAPIPE_RIGHT_HALF = tuple(
    i for i in range(248) if i not in set(_MEDIAPIPE_MIDLINE_MESH)
)
# The iris model runs on the left eye and on the mirrored right eye, so the
# rim points of the two irises come out in mirror order: 469<->474 and so on.
_MEDIAPIPE_MIRROR_PAIRS = tuple(
    zip(_MEDIAPIPE_RIGHT_HALF, range(248, 468), strict=True)
) + tuple(zip(range(468, 473), range(473, 478), strict=True))

# Region index lists follow mediapipe.python.solutions.face_mesh_connections
# (FACEMESH_RIGHT_EYE, FACEMESH_LIPS, ...), walked as polylines. MediaPipe's
# "right" is the subject's right, as here.
# fmt: off
_MEDIAPIPE_FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379,
    378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127,
    162, 21, 54, 103, 67, 109,
)
_MEDIAPIPE_REGIONS = {
    # The lower face oval from temple to temple through the chin, as iBUG 0-16.
    "jaw": (
        127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152,
        377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356,
    ),
    "face_oval": _MEDIAPIPE_FACE_OVAL,
    # Brows as outlines: the upper edge from the tail inwards, then the lower
    # edge back out.
    "right_brow": (70, 63, 105, 66, 107, 55, 65, 52, 53, 46),
    "left_brow": (300, 293, 334, 296, 336, 285, 295, 282, 283, 276),
    "nose_bridge": (168, 6, 197, 195, 5, 4, 1),
    "nose_base": (98, 97, 2, 326, 327),
    # Eyes from the outer corner along the upper lid, back along the lower lid.
    "right_eye": (
        33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
    ),
    "left_eye": (
        263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249,
    ),
    "outer_lips": (
        61, 185, 40, 39, 37, 0, 267, 269, 270, 409,
        291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
    ),
    "inner_lips": (
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415,
        308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
    ),
    "right_iris": (468, 469, 470, 471, 472),
    "left_iris": (473, 474, 475, 476, 477),
}
# fmt: on

# iBUG point -> MediaPipe point. Brows, eyes, nose tip, alae, subnasale, lips,
# temples and chin as mapped in the domain notes (their recommended indices:
# 36->33, 39->133, 42->362, 45->263, 60->78, 64->308). The others are the
# nearest mesh points to the mean iBUG face after a similarity fit of the
# canonical face model on the mapped points, jaw points restricted to the face
# oval so that they stay on the silhouette; all are chosen on the subject's
# right and mirrored, so the mapping commutes with mirroring.
# fmt: off
_MEDIAPIPE_IBUG_INDEX = (
    # jaw 0-16: temple, oval points down to the chin (152), and back up
    127, 234, 93, 132, 58, 136, 149, 176, 152, 400, 378, 365, 288, 361, 323, 454, 356,
    # brows 17-26
    70, 63, 105, 66, 55, 285, 296, 334, 293, 300,
    # nose bridge 27-30 (168: nasion; 1: tip) and base 31-35 (2: subnasale)
    168, 197, 5, 1, 98, 97, 2, 326, 327,
    # eyes 36-47
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    # outer lips 48-59
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    # inner lips 60-67
    78, 81, 13, 311, 308, 402, 14, 178,
)
# fmt: on

MEDIAPIPE478 = LandmarkScheme(
    name="mediapipe478",
    n_landmarks=478,
    regions=_MEDIAPIPE_REGIONS,
    mirror_pairs=_MEDIAPIPE_MIRROR_PAIRS,
    midline=_MEDIAPIPE_MIDLINE_MESH,
    # The irises are not drawn, so that drawings from both schemes look alike.
    contours={
        "jaw": (_MEDIAPIPE_REGIONS["jaw"], False),
        "right_brow": (_MEDIAPIPE_REGIONS["right_brow"], True),
        "left_brow": (_MEDIAPIPE_REGIONS["left_brow"], True),
        "nose_bridge": (_MEDIAPIPE_REGIONS["nose_bridge"], False),
        "nose_base": (_MEDIAPIPE_REGIONS["nose_base"], False),
        "right_eye": (_MEDIAPIPE_REGIONS["right_eye"], True),
        "left_eye": (_MEDIAPIPE_REGIONS["left_eye"], True),
        "outer_lips": (_MEDIAPIPE_REGIONS["outer_lips"], True),
        "inner_lips": (_MEDIAPIPE_REGIONS["inner_lips"], True),
    },
    ibug_index=_MEDIAPIPE_IBUG_INDEX,
)

_REGISTRY = {"ibug68": IBUG68, "mediapipe478": MEDIAPIPE478}
_ALIASES = {
    "ibug68": "ibug68",
    "dlib": "ibug68",
    "mediapipe": "mediapipe478",
    "mediapipe478": "mediapipe478",
}
#: The values of every ``scheme`` parameter: "auto" (inferred from the
#: number of points) or a name :func:`get_scheme` knows.
SCHEME_NAMES = ("auto", *_ALIASES)


def get_scheme(scheme):
    """Return the landmark scheme of a name, or the scheme itself.

    Parameters
    ----------
    scheme : {"ibug68", "dlib", "mediapipe", "mediapipe478"} or LandmarkScheme
        A scheme name (``"dlib"`` is an alias of ``"ibug68"`` and
        ``"mediapipe"`` of ``"mediapipe478"``), or a scheme, returned as is.

    Returns
    -------
    scheme : LandmarkScheme
        The scheme.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68, get_scheme
    >>> get_scheme("dlib") is IBUG68
    True
    >>> get_scheme("mediapipe").n_landmarks
    478
    """
    if isinstance(scheme, LandmarkScheme):
        return scheme
    if isinstance(scheme, str) and scheme.lower() in _ALIASES:
        return _REGISTRY[_ALIASES[scheme.lower()]]
    raise ValueError(
        f"unknown landmark scheme {scheme!r}; use one of {sorted(_ALIASES)} "
        "or a LandmarkScheme"
    )


def _n_points(landmarks):
    """The number of points per face in (n, K, 2) or flattened (n, 2K) input."""
    shape = np.shape(landmarks)
    if len(shape) == 3 and shape[2] == 2:
        return shape[1]
    if len(shape) == 2 and shape[1] % 2 == 0:
        return shape[1] // 2
    return None


def infer_scheme(landmarks):
    """Return the landmark scheme that has as many points as ``landmarks``.

    Parameters
    ----------
    landmarks : array-like of shape (n_faces, n_landmarks, 2) or \
(n_faces, 2 * n_landmarks)
        Landmarks of any number of faces.

    Returns
    -------
    scheme : LandmarkScheme
        :data:`IBUG68` for 68 points, :data:`MEDIAPIPE478` for 478.

    Raises
    ------
    InvalidLandmarksError
        If no shipped scheme has that many points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._schemes import infer_scheme
    >>> infer_scheme(np.zeros((3, 478, 2))).name
    'mediapipe478'
    >>> infer_scheme(np.zeros((3, 136))).name
    'ibug68'
    """
    n_points = _n_points(landmarks)
    for scheme in _REGISTRY.values():
        if scheme.n_landmarks == n_points:
            return scheme
    shape = np.shape(landmarks)
    if len(shape) == 2:
        widths = " or ".join(str(2 * s.n_landmarks) for s in _REGISTRY.values())
        names = " or ".join(_REGISTRY)
        raise InvalidLandmarksError(
            f"expected {widths} feature(s), the flattened landmarks of the "
            f"{names} scheme; got {shape[1]} feature(s)"
        )
    known = ", ".join(f"{s.n_landmarks} ({s.name})" for s in _REGISTRY.values())
    raise InvalidLandmarksError(
        f"cannot tell the landmark scheme of input of shape {np.shape(landmarks)}; "
        f"the known schemes have {known} points, as (n, points, 2) or flattened "
        "(n, 2 * points)"
    )


def resolve_scheme(scheme, landmarks):
    """:func:`get_scheme`, where ``"auto"`` is :func:`infer_scheme` of the landmarks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._schemes import resolve_scheme
    >>> resolve_scheme("auto", np.zeros((1, 68, 2))).name
    'ibug68'
    >>> resolve_scheme("mediapipe", np.zeros((1, 68, 2))).name
    'mediapipe478'
    """
    if isinstance(scheme, str) and scheme == "auto":
        return infer_scheme(landmarks)
    return get_scheme(scheme)


def scheme_mismatch(expected, shape):
    """The message for landmarks whose shape is not that of the fitted scheme."""
    n_points = _n_points(np.empty(shape)) if len(shape) in (2, 3) else None
    other = next(
        (s.name for s in _REGISTRY.values() if s.n_landmarks == n_points), None
    )
    message = (
        f"expected landmarks of shape (n, {expected.n_landmarks}, 2) for the "
        f"{expected.name} scheme; got {tuple(shape)}"
    )
    if other is not None and other != expected.name:
        message += (
            f", which are {other} landmarks. A fitted model is tied to the "
            f"landmark model it was trained with ({expected.name}); use the same "
            "landmark backend to predict, or train again"
        )
    return message


# --------------------------------------------------------------------------
# Mean iBUG 300-W face.

# The widely used dlib alignment template (the mean of 300-W faces in a unit
# box, x right, y down), the same proportions as the synthetic cohort's.
# fmt: off
_IBUG_TEMPLATE = np.array(
    [
        (0.0792, 0.3392), (0.0829, 0.4570), (0.0968, 0.5756), (0.1221, 0.6919),
        (0.1687, 0.8003), (0.2398, 0.8957), (0.3257, 0.9771), (0.4223, 1.0433),
        (0.5318, 1.0608), (0.6413, 1.0398), (0.7381, 0.9723), (0.8244, 0.8896),
        (0.8948, 0.7925), (0.9394, 0.6815), (0.9611, 0.5622), (0.9706, 0.4418),
        (0.9712, 0.3221), (0.1638, 0.2492), (0.2178, 0.2043), (0.2913, 0.1924),
        (0.3675, 0.2036), (0.4393, 0.2331), (0.5864, 0.2281), (0.6602, 0.1959),
        (0.7375, 0.1824), (0.8132, 0.1928), (0.8708, 0.2353), (0.5153, 0.3186),
        (0.5162, 0.3962), (0.5171, 0.4738), (0.5182, 0.5532), (0.4337, 0.6041),
        (0.4755, 0.6208), (0.5207, 0.6343), (0.5659, 0.6188), (0.6071, 0.6016),
        (0.2524, 0.3311), (0.2987, 0.3026), (0.3557, 0.3030), (0.4037, 0.3387),
        (0.3525, 0.3500), (0.2968, 0.3505), (0.6313, 0.3341), (0.6791, 0.2965),
        (0.7360, 0.2947), (0.7829, 0.3213), (0.7403, 0.3418), (0.6850, 0.3437),
        (0.3532, 0.7462), (0.4146, 0.7191), (0.4777, 0.7068), (0.5227, 0.7171),
        (0.5698, 0.7054), (0.6352, 0.7157), (0.6995, 0.7394), (0.6394, 0.8052),
        (0.5764, 0.8354), (0.5254, 0.8417), (0.4764, 0.8375), (0.4138, 0.8100),
        (0.3801, 0.7500), (0.4780, 0.7451), (0.5234, 0.7489), (0.5711, 0.7433),
        (0.6724, 0.7442), (0.5725, 0.7766), (0.5240, 0.7834), (0.4776, 0.7785),
    ]
)
# fmt: on


def _mean_face():
    """Symmetrise the template exactly, eye centres near (+-0.5, 0)."""
    mirror = IBUG68.mirror_permutation
    # (a - b) / 2 and (b - a) / 2 are exact negatives in floating point, and
    # (a + b) / 2 == (b + a) / 2, so the result is mirror-symmetric to the bit;
    # the shift below is along y only and the scaling is a multiplication, so
    # both keep it so.
    x = (_IBUG_TEMPLATE[:, 0] - _IBUG_TEMPLATE[mirror, 0]) / 2
    y = (_IBUG_TEMPLATE[:, 1] + _IBUG_TEMPLATE[mirror, 1]) / 2
    face = np.column_stack([x, y])
    face[:, 1] -= face[36:42, 1].mean()
    inter_ocular = face[42:48, 0].mean() - face[36:42, 0].mean()
    face *= 1.0 / inter_ocular
    face.setflags(write=False)
    return face


#: Mean iBUG 300-W face, (68, 2): x right, y down, eye centres at about
#: (-0.5, 0) (the subject's right) and (0.5, 0), inter-ocular distance 1.
#: Exactly left-right symmetric: ``x[mirror] == -x`` and ``y[mirror] == y``.
IBUG68_MEAN_FACE = _mean_face()
