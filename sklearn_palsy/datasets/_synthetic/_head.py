"""Head pose for the synthetic faces: depth, 3-D rotation and projection.

This module owns where a face sits in the photograph: the depth of each
landmark and of the cranium and ears (a generic face profile), the
:class:`_Head` that turns the face by yaw and pitch about the top of the
neck and projects it with a mild perspective, the frontal cohort's 2-D pose
jitter, the wide variety's framing, and the ranges the cohort draws its
angles from.

Angles are in degrees: positive yaw turns the face towards the image's
right (the nose moves right), positive pitch tilts it up (chin up),
positive roll turns it counter-clockwise on screen. In the face's own 3-D
frame x runs to the right, y downwards and z points towards the camera.
"""

import numbers

import numpy as np

# Depth of each iBUG point towards the camera, in inter-ocular units, with 0
# at the plane of the eye centres: the nose tip stands forward, the eyes are
# set back under the brows, the mouth corners and the face's contour recede
# towards the ears. Mirror pairs share a depth.
_LANDMARK_DEPTH = np.array([
    # jaw 0-16, from the temple under the ear round the chin (8)
    -0.95, -0.88, -0.78, -0.65, -0.5, -0.32, -0.14, 0.02, 0.1,
    0.02, -0.14, -0.32, -0.5, -0.65, -0.78, -0.88, -0.95,
    # brows 17-21 and 22-26, outer ends back over the temples
    -0.2, 0.0, 0.12, 0.2, 0.22, 0.22, 0.2, 0.12, 0.0, -0.2,
    # nose bridge 27-30 (30 the tip) and base 31-35 (alae back, 33 subnasale)
    0.16, 0.27, 0.38, 0.5, 0.12, 0.24, 0.3, 0.24, 0.12,
    # eyes: outer corner, two upper lid points, inner corner, two lower ones
    -0.3, -0.06, -0.04, -0.12, -0.05, -0.08,
    -0.12, -0.04, -0.06, -0.3, -0.08, -0.05,
    # outer lips 48-59: commissures back, lip centres forward
    -0.05, 0.14, 0.24, 0.28, 0.24, 0.14, -0.05, 0.1, 0.18, 0.2, 0.18, 0.1,
    # inner lips 60-67
    -0.04, 0.2, 0.23, 0.2, -0.04, 0.15, 0.18, 0.15,
])
_NOSE = np.r_[28:36]

# The head turns about a point behind the face, near the top of the neck.
_HEAD_PIVOT = np.array([0.0, 0.35, -1.0])
# The cranium: an ellipsoid above and behind the face, its front at the
# forehead; semi-axes (half the temple width, _CROWN, _CRANIUM_DEPTH).
_CRANIUM_Z = -1.2
_CRANIUM_DEPTH = 1.35
_CROWN = 1.85
_EAR_Z = -1.05
# Camera distance from the eye plane, in inter-ocular units (about 75 cm):
# a mild perspective, near parts a few per cent larger.
_CAMERA_DISTANCE = 12.0

# Limits of the head-pose angles, in degrees.
_ANGLE_LIMITS = {"yaw": 60.0, "pitch": 40.0}
# The wide variety's pose when yaw and pitch are not given, in degrees.
_WIDE_POSE = {"yaw": (-15.0, 15.0), "pitch": (-10.0, 10.0), "roll": (-5.0, 5.0)}


def _face_depth(identity=None):
    """Depth of the 68 points for one identity (a flatter or deeper face)."""
    depth = _LANDMARK_DEPTH.copy()
    if identity is not None and "depth" in identity:
        nose = depth[_NOSE]
        depth[_NOSE] = depth[27] + (nose - depth[27]) * identity["nose_projection"]
        depth *= identity["depth"]
    return depth


def _rotation(yaw, pitch):
    """3-D rotation by ``yaw`` then ``pitch`` (degrees), x right, y down, z out.

    Positive yaw brings points in front of the pivot towards the image's
    right (the nose turns right); positive pitch brings them up (chin up).
    """
    yaw, pitch = np.deg2rad(yaw), np.deg2rad(pitch)
    turn = np.array([
        [np.cos(yaw), 0.0, np.sin(yaw)],
        [0.0, 1.0, 0.0],
        [-np.sin(yaw), 0.0, np.cos(yaw)],
    ])
    tilt = np.array([
        [1.0, 0.0, 0.0],
        [0.0, np.cos(pitch), -np.sin(pitch)],
        [0.0, np.sin(pitch), np.cos(pitch)],
    ])
    return tilt @ turn


class _Head:
    """A face placed in 3-D and photographed: rotation, perspective, framing.

    Points are in the face's own frame (inter-ocular units, x to the image's
    right, y down, z towards the camera, eye midpoint at the origin). They
    are turned about :data:`_HEAD_PIVOT` by ``yaw`` then ``pitch``, projected
    from a camera ``camera_distance`` in front of the eye plane (so the eye
    plane keeps its scale), rotated in the image by ``image_angle`` (radians,
    as :func:`_pose` does: positive turns clockwise on screen, the opposite
    of the roll convention) and scaled and moved into the image.
    """

    def __init__(self, points, *, yaw, pitch, image_angle, scale, centre,
                 camera_distance=_CAMERA_DISTANCE):
        self.points = np.asarray(points, np.float64)
        self.yaw, self.pitch = float(yaw), float(pitch)
        self.roll = -float(np.degrees(image_angle))
        self.scale = float(scale)
        self.centre = np.asarray(centre, np.float64)
        self.camera_distance = float(camera_distance)
        self.rotation = _rotation(yaw, pitch)
        self._image_rotation = np.array([
            [np.cos(image_angle), -np.sin(image_angle)],
            [np.sin(image_angle), np.cos(image_angle)],
        ])

    def project(self, points, *, turn=True):
        """Image coordinates (pixels) of face-frame points; ``turn=False``
        leaves them unturned (the body below the neck)."""
        points = np.atleast_2d(np.asarray(points, np.float64))
        if turn:
            points = (points - _HEAD_PIVOT) @ self.rotation.T + _HEAD_PIVOT
        factor = self.camera_distance / (self.camera_distance - points[:, 2])
        flat = points[:, :2] * factor[:, None]
        return flat @ self._image_rotation.T * self.scale + self.centre


def _pose(shape, rng, image_size, *, return_angle=False):
    """Place the face in the image with jittered position, scale and head pose.

    The default cohort's pose: a tiny pseudo-yaw (the far side of the face
    foreshortens by up to 8 % at the contour, the nose does not move), an
    in-plane rotation of sd 3 degrees, and jittered scale and position.
    ``return_angle=True`` also returns the in-plane rotation (radians,
    clockwise on screen).
    """
    yaw = rng.uniform(-0.08, 0.08)
    shape = shape.copy()
    # A small yaw: the far side of the face foreshortens.
    shape[:, 0] = shape[:, 0] * (1 + yaw * shape[:, 0] / 1.2)
    angle = np.deg2rad(rng.normal(0.0, 3.0))
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    inter_ocular = image_size * rng.uniform(0.2, 0.235)
    centre = np.array([0.5, 0.4]) * image_size + rng.normal(0, 0.015, 2) * image_size
    landmarks = shape @ rotation.T * inter_ocular + centre
    return (landmarks, angle) if return_angle else landmarks


def _pose_3d(shape, rng, image_size, *, yaw=0.0, pitch=0.0, depth=None,
             framing=None):
    """Turn the face in 3-D by ``yaw`` then ``pitch`` (degrees) and project it.

    ``rng`` gives the same draws as :func:`_pose` (so a cohort keeps its
    people, scales and positions whatever the angles); its pseudo-yaw is
    drawn and dropped. ``depth`` is the 68 points' depth (default
    :func:`_face_depth`). ``framing`` may replace the draws: "roll"
    (degrees, counter-clockwise), "scale" (inter-ocular distance as a share
    of ``image_size``), "offset" (of the eye midpoint, as a share) and
    "camera_distance" (inter-ocular units).

    Returns
    -------
    landmarks : ndarray of shape (68, 2)
        The projected points, in pixels.
    head : _Head
        The placement, for
        :func:`~sklearn_palsy.datasets._synthetic.render`'s ``head``.
    """
    rng.uniform(-0.08, 0.08)
    angle = np.deg2rad(rng.normal(0.0, 3.0))
    inter_ocular = image_size * rng.uniform(0.2, 0.235)
    centre = np.array([0.5, 0.4]) * image_size + rng.normal(0, 0.015, 2) * image_size
    framing = framing or {}
    if "roll" in framing:
        angle = -np.deg2rad(framing["roll"])
    if "scale" in framing:
        inter_ocular = image_size * framing["scale"]
    if "offset" in framing:
        centre = (np.array([0.5, 0.4]) + framing["offset"]) * image_size
    depth = _face_depth() if depth is None else depth
    head = _Head(
        np.c_[shape, depth], yaw=yaw, pitch=pitch, image_angle=angle,
        scale=inter_ocular, centre=centre,
        camera_distance=framing.get("camera_distance", _CAMERA_DISTANCE),
    )
    return head.project(head.points), head


def _wide_framing(rng):
    """One photograph's roll, framing and focal length for the wide variety."""
    return {
        "roll": rng.uniform(*_WIDE_POSE["roll"]),
        "scale": rng.uniform(0.15, 0.27),
        "offset": np.array([rng.uniform(-0.07, 0.07), rng.uniform(-0.05, 0.05)]),
        # From a phone at arm's length (strong perspective) to a telephoto.
        "camera_distance": np.exp(rng.uniform(np.log(4.5), np.log(30.0))),
    }


def _cranium_depth(x, y, centre_x, centre_y, half_width):
    """Depth of the cranium's front surface at (x, y): the forehead, temples."""
    inside = 1 - ((x - centre_x) / half_width) ** 2 - ((y - centre_y) / _CROWN) ** 2
    return _CRANIUM_Z + _CRANIUM_DEPTH * np.sqrt(np.clip(inside, 0.0, None))


def _angle_range(value, name, variety):
    """The (low, high) range in degrees from which ``name`` is drawn per image."""
    limit = _ANGLE_LIMITS[name]
    if value is None:
        return _WIDE_POSE[name] if variety == "wide" else (0.0, 0.0)
    if isinstance(value, numbers.Real):
        low = high = float(value)
    else:
        try:
            low, high = (float(bound) for bound in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be an angle in degrees or a (low, high) range of "
                f"them; got {value!r}"
            ) from None
        if not low <= high:
            raise ValueError(
                f"{name} range must have low <= high; got ({low:g}, {high:g})"
            )
    if not (-limit <= low and high <= limit):
        raise ValueError(
            f"{name} must lie within [-{limit:g}, {limit:g}] degrees; got {value!r}"
        )
    return low, high


def _draw_angle(rng, bounds):
    low, high = bounds
    return low if low == high else float(rng.uniform(low, high))
