"""Head pose (yaw, pitch, roll) from 2-D landmarks, against a generic 3-D face.

A turned head fakes asymmetry: the far half of the face foreshortens, the
nose moves towards one cheek, and every left-right comparison shifts. This
module estimates how far each face is from frontal, so that photographs
too far from it can be flagged or left out (see
:class:`~sklearn_palsy.FaceCropper`'s ``max_yaw``), and so that pose can
be used as a feature.

Method
------
Fourteen landmarks that hold still when a face moves (the nose bridge and
base, the four eye corners and the chin) are matched to the same points of
a generic 3-D face, and :func:`cv2.solvePnP` (Levenberg-Marquardt, started
from the closed-form weak-perspective fit) finds the rotation that best
projects the 3-D points onto them. The brows, lids, lips and the rest of
the jaw outline are not used: they move with expression and with palsy (a
smile alone read as 4 degrees of pitch with the mouth corners in the fit),
and the jaw outline is a silhouette that slides round the face as it
turns.

The generic face (:data:`GENERIC_FACE_3D`) is this package's own: its
frontal outline is the mean 300-W face (:data:`IBUG68_MEAN_FACE`), scaled
to an inter-pupillary distance of 63 mm, and each point's depth behind the
nose tip is an average adult's soft-tissue profile, rounded to the
millimetre and derived from adult anthropometric norms (Farkas,
*Anthropometry of the Head and Face*, 1994): the nasal root 22 mm (a
nasal bridge of about 48 mm at some 30 degrees to the face), the
subnasale 16 mm (nasal tip protrusion about 20 mm), the inner eye corners
10 mm behind the nasal root, the outer ones 13 mm behind the inner (an eye
fissure of about 33 mm spanning 29 mm across the face), the chin 30 mm.
Real faces differ from it by some millimetres, which is why the angles
of one face are good to a few degrees (see :func:`estimate_head_pose`).
MediaPipe landmarks are matched through their scheme's iBUG mapping.

Camera: a pinhole camera. With the image size known, its focal length is
the image's longer side (a field of view of about 53 degrees, the usual
assumption for photographs) and its centre the image's centre; without
it, the camera is placed as if 10 m from a face of that size, which is
nearly orthographic. Angles are measured against the line of sight from
the camera to the face, so a face looking straight into the lens reads
(0, 0, 0) wherever it sits in the frame.

Conventions
-----------
Angles are in degrees, as (yaw, pitch, roll):

* **yaw** > 0: the face turns towards the image's right (the nose moves
  right in the image; the subject turns to their own left);
* **pitch** > 0: the face tilts up (chin up; the nose moves up in the
  image);
* **roll** > 0: the face rotates counter-clockwise in the image, as seen on
  the screen (the eye on the image's right rises). It is the angle that
  :func:`~sklearn_palsy.faces.align_landmarks` removes when it levels the
  eyes.

The head's rotation is ``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)`` in camera
axes (x right, y down, z away from the camera): pitched first, then
turned, then rolled in the image plane, so the eye line's angle in the
image is the roll whatever the yaw and pitch.
"""

from typing import NamedTuple

import cv2
import numpy as np

from ..exceptions import (
    HeadPoseError,
    HeadPoseWarning,
    InvalidLandmarksError,
    describe_rejected,
)
from ._schemes import IBUG68_MEAN_FACE, resolve_scheme

__all__ = [
    "GENERIC_FACE_3D",
    "HeadPose",
    "HeadPoseError",
    "HeadPoseWarning",
    "POSE_COLUMNS",
    "POSE_POINTS",
    "check_image_size",
    "describe_rejected",
    "estimate_head_pose",
    "rotation_from_pose",
]

#: Names of the three angles, in the order every function here returns them.
POSE_COLUMNS = ("yaw", "pitch", "roll")

#: Inter-pupillary distance of an average adult, mm: the scale of the model.
_INTER_PUPILLARY_MM = 63.0

# Depth behind the nose tip, mm, of each iBUG point used (mirror pairs share
# theirs). Rounded soft-tissue profile of an average adult face.
_DEPTH_MM = {
    27: 22.0,  # nasal root, between the eyes (sellion)
    28: 15.0,  # nasal dorsum, 1/3 of the way down
    29: 8.0,  # nasal dorsum, 2/3 of the way down
    30: 0.0,  # nose tip (pronasale)
    31: 26.0, 35: 26.0,  # alar base
    32: 20.0, 34: 20.0,  # nostril
    33: 16.0,  # subnasale
    36: 45.0, 45: 45.0,  # outer eye corners (exocanthion)
    39: 32.0, 42: 32.0,  # inner eye corners (endocanthion)
    8: 30.0,  # chin (menton)
}

#: The iBUG 300-W points that the pose is fitted to: nose bridge and base,
#: eye corners and chin.
POSE_POINTS = tuple(sorted(_DEPTH_MM))


def _generic_face():
    points = IBUG68_MEAN_FACE[list(POSE_POINTS)] * _INTER_PUPILLARY_MM
    depth = np.array([_DEPTH_MM[i] for i in POSE_POINTS])
    face = np.column_stack([points, depth])
    # The origin at the centroid, so that the line of sight ends at the face.
    face -= face.mean(axis=0)
    face.setflags(write=False)
    return face


#: The generic 3-D face, (14, 3) in mm, one row per point of
#: :data:`POSE_POINTS`: frontal, in camera axes (x to the image's right, y
#: down, z away from the camera), centred on its centroid.
GENERIC_FACE_3D = _generic_face()

# Without an image size, the camera stands this far from the face: at 10 m a
# face's 4 cm of depth change its projection by 0.4 %, nearly orthographic.
_DISTANCE_MM = 10_000.0


class HeadPose(NamedTuple):
    """The head pose of one face, in degrees (see the module's conventions).

    Examples
    --------
    >>> from sklearn_palsy.faces._pose import HeadPose
    >>> pose = HeadPose(yaw=12.0, pitch=-3.0, roll=1.5)
    >>> pose.yaw, tuple(pose)
    (12.0, (12.0, -3.0, 1.5))
    """

    yaw: float
    pitch: float
    roll: float


def rotation_from_pose(yaw, pitch, roll):
    """Return the head's rotation matrix for angles in degrees.

    ``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)`` in camera axes (x to the image's
    right, y down, z away from the camera), with the signs of the module's
    conventions: a frontal face rotated by ``R`` and projected shows that
    yaw, pitch and roll. :func:`estimate_head_pose` inverts it.

    Parameters
    ----------
    yaw, pitch, roll : float
        Angles in degrees.

    Returns
    -------
    rotation : ndarray of shape (3, 3)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._pose import rotation_from_pose
    >>> nose = np.array([0.0, 0.0, -1.0])  # towards the camera
    >>> (rotation_from_pose(30, 0, 0) @ nose).round(3).tolist()  # moves right
    [0.5, 0.0, -0.866]
    """
    y, p, r = np.deg2rad([yaw, pitch, roll])
    # A point towards the camera (z < 0) moves right for yaw > 0 and up (y
    # smaller) for pitch > 0; x rises into -y (counter-clockwise on screen)
    # for roll > 0.
    turn = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    spin = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return spin @ turn @ tilt


def _angles(rotation):
    """(yaw, pitch, roll) in degrees of ``rotation_from_pose``'s matrix."""
    yaw = np.arcsin(np.clip(rotation[2, 0], -1.0, 1.0))
    pitch = np.arctan2(-rotation[2, 1], rotation[2, 2])
    roll = np.arctan2(-rotation[1, 0], rotation[0, 0])
    return np.rad2deg([yaw, pitch, roll])


def _line_of_sight(translation):
    """The rotation taking the camera's axis onto the ray to ``translation``."""
    direction = translation / np.linalg.norm(translation)
    axis = np.cross([0.0, 0.0, 1.0], direction)
    sine = np.linalg.norm(axis)
    if sine < 1e-12:
        return np.eye(3)
    angle = np.arctan2(sine, direction[2])
    rotation, _ = cv2.Rodrigues(axis / sine * angle)
    return rotation


def check_image_size(image_size, n_faces):
    """``image_size`` as an (n_faces, 2) float array of (height, width), or None."""
    if image_size is None:
        return None
    sizes = np.asarray(image_size, dtype=np.float64)
    if sizes.shape == (2,):
        sizes = np.broadcast_to(sizes, (n_faces, 2))
    if sizes.shape != (n_faces, 2):
        raise ValueError(
            "image_size must be (height, width) or an array of shape "
            f"(n_faces, 2) = ({n_faces}, 2); got shape {np.shape(image_size)}"
        )
    if not (np.isfinite(sizes) & (sizes > 0)).all():
        bad = np.flatnonzero(~(np.isfinite(sizes) & (sizes > 0)).all(axis=1))
        raise ValueError(
            f"image_size must be positive; rows {bad.tolist()} are not"
        )
    return sizes


def _weak_perspective(model, points):
    """Rotation and scale of the affine camera that best maps model to points.

    The least-squares 2x3 projection of the centred model onto the centred
    points, made the nearest scaled rotation: closed form, and good enough to
    start the perspective fit from.
    """
    projection, *_ = np.linalg.lstsq(model, points - points.mean(axis=0), rcond=None)
    left, singular, right = np.linalg.svd(projection.T, full_matrices=False)
    rows = left @ right
    rotation = np.vstack([rows, np.cross(rows[0], rows[1])])
    return rotation, singular.mean()


def _solve(points, image_size):
    """(yaw, pitch, roll) of one face's 2-D pose points, or NaN."""
    model = GENERIC_FACE_3D
    centroid = points.mean(axis=0)
    start, scale = _weak_perspective(model, points)
    if image_size is None:
        # Principal point at the face, focal length that puts the camera
        # _DISTANCE_MM from a face of this size.
        centre = centroid
        focal = scale * _DISTANCE_MM
    else:
        height, width = image_size
        centre = np.array([width / 2, height / 2])
        focal = max(height, width)
    if not (np.isfinite(start).all() and scale > 0):
        return np.full(3, np.nan)
    camera = np.array(
        [[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1]], dtype=np.float64
    )
    # The weak-perspective fit starts the perspective one: a closed form
    # that no face size upsets (SQPnP refuses faces that are small in the
    # field of view, and the DLT start of the iterative solver is poor for
    # nearly orthographic views).
    distance = focal / scale
    rvec, _ = cv2.Rodrigues(start)
    tvec = np.array([*((centroid - centre) * distance / focal), distance])
    try:
        found, rvec, tvec = cv2.solvePnP(
            model, np.ascontiguousarray(points, dtype=np.float64), camera, None,
            rvec, tvec.reshape(3, 1), useExtrinsicGuess=True,
            flags=cv2.SOLVEPNP_ITERATIVE,
        )
    except cv2.error:
        return np.full(3, np.nan)
    translation = tvec.ravel()
    if not (found and np.isfinite(translation).all() and translation[2] > 0):
        return np.full(3, np.nan)
    rotation, _ = cv2.Rodrigues(rvec)
    return _angles(_line_of_sight(translation).T @ rotation)


def estimate_head_pose(landmarks, *, scheme=None, image_size=None):
    """Estimate yaw, pitch and roll, in degrees, from the landmarks of faces.

    The nose, eye corners and chin are matched to a generic
    3-D face with :func:`cv2.solvePnP` (see the module's docstring for the
    model, the camera and the conventions): positive yaw turns the nose to
    the image's right, positive pitch raises the chin, positive roll turns
    the face counter-clockwise in the image.

    Parameters
    ----------
    landmarks : array-like of shape (n_faces, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks in image pixels (x right, y down), of the iBUG 68 scheme
        (dlib) or MediaPipe's 478 points. Faces with any NaN or infinite
        landmark get NaN angles.
    scheme : str or LandmarkScheme, default=None
        The landmark scheme; None (or ``"auto"``) infers it from the number
        of points.
    image_size : (height, width) or array-like of shape (n_faces, 2), \
default=None
        The size of the image(s) the landmarks were placed on. Given, the
        camera's focal length is the longer side (perspective of an ordinary
        photograph); None assumes a nearly orthographic camera, which suits
        landmarks that were cropped, rescaled or aligned.

    Returns
    -------
    pose : ndarray of shape (n_faces, 3) or HeadPose
        Columns yaw, pitch and roll (:data:`POSE_COLUMNS`) in degrees, for a
        stack of faces; a :class:`HeadPose` named tuple for one face.

    Raises
    ------
    InvalidLandmarksError
        If the landmarks' shape fits no scheme (or not ``scheme``).

    Notes
    -----
    The model is an average face, so the angles of one face carry its own
    departure from the average: a few degrees of pitch (a long or short
    nose, a small chin) and of yaw (a nose bent to one side). Use the
    angles to flag photographs that are clearly turned, not to measure
    small differences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._pose import estimate_head_pose
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> frontal = IBUG68_MEAN_FACE * 80 + [320, 240]
    >>> pose = estimate_head_pose(frontal)
    >>> [round(angle, 1) + 0.0 for angle in pose]
    [0.0, 0.0, 0.0]
    >>> estimate_head_pose(np.stack([frontal, frontal])).shape
    (2, 3)
    """
    try:
        array = np.asarray(landmarks, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidLandmarksError(f"landmarks are not numeric: {error}") from error
    single = array.ndim == 2
    if single:
        array = array[np.newaxis]
    if array.ndim != 3 or array.shape[2] != 2:
        raise InvalidLandmarksError(
            "expected landmarks of shape (n_faces, n_landmarks, 2) or "
            f"(n_landmarks, 2); got {np.shape(landmarks)}"
        )
    scheme = resolve_scheme("auto" if scheme is None else scheme, array)
    points = scheme.to_ibug68(array)[:, list(POSE_POINTS)]
    sizes = check_image_size(image_size, len(array))
    poses = np.full((len(array), 3), np.nan)
    for row, face in enumerate(points):
        if np.isfinite(face).all():
            poses[row] = _solve(face, None if sizes is None else sizes[row])
    if single:
        return HeadPose(*(float(angle) for angle in poses[0]))
    return poses
