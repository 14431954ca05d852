"""The synthetic faces' painter: from landmarks to a photo-like image.

This module owns the rendering: from a face's landmarks and identity it
paints skin, hair, ears, brows, eyes with irises and lids, a shaded nose,
lips, teeth and nasolabial folds, with OpenCV's anti-aliased masks, so that
dlib's real detector and shape predictor work on the images. A frontal face
gets its shapes in the image plane; a face placed in 3-D (a
:class:`~sklearn_palsy.datasets._synthetic._head._Head`) gets them built
around it in depth and projected. The wide variety's lighting, ageing marks
and camera (exposure, blur, noise, resolution, JPEG) are drawn and applied
here too.
"""

import cv2
import numpy as np

from ._head import _CRANIUM_DEPTH, _CRANIUM_Z, _CROWN, _EAR_Z, _cranium_depth

__all__ = ["render"]


def _wide_look(rng, identity, image_size):
    """One photograph's lighting and camera for the wide variety.

    The light comes mostly from one side (a shading gradient across the
    face, which mimics left-right asymmetry), with its own colour
    temperature; the exposure, white balance, defocus, motion blur, sensor
    noise, resolution and JPEG quality vary from photo to photo.
    """
    scale = image_size / 224
    light_angle = rng.integers(2) * np.pi + rng.normal(0.0, 0.45)
    elevation = rng.uniform(0.25, 0.95)
    temperature = rng.uniform(-1.0, 1.0)
    look = {
        "light_angle": light_angle,
        "light_strength": rng.uniform(0.05, 0.45),
        "light_vector": np.array([np.cos(light_angle) * np.sin(elevation),
                                  np.sin(light_angle) * np.sin(elevation),
                                  np.cos(elevation)]),
        "lambert": rng.uniform(0.0, 0.55),
        "tint": 1.0 + temperature * np.array([0.12, 0.0, -0.14]),
        "exposure": 2.0 ** rng.uniform(-0.7, 0.5),
        "white_balance": 1.0 + rng.normal(0.0, 0.05, 3),
        "defocus": rng.uniform(0.4, 2.0) * scale,
        "motion": rng.uniform(2.0, 7.0) * scale if rng.random() < 0.3 else 0.0,
        "motion_angle": rng.uniform(0.0, np.pi),
        "noise": np.exp(rng.uniform(0.0, np.log(14.0))),
        "jpeg_quality": int(rng.integers(20, 96)) if rng.random() < 0.7 else 0,
        "downscale": rng.uniform(0.3, 0.9) if rng.random() < 0.5 else 1.0,
    }
    for key in ("age", "hooding", "fold_depth", "forehead_lines"):
        look[key] = identity[key]
    return look


_SHIFT = 4  # sub-pixel precision for OpenCV drawing: 1/16 pixel


def _fixed(points):
    return np.round(np.asarray(points) * (1 << _SHIFT)).astype(np.int32)


def _polygon_mask(size, polygons, blur=0.0):
    mask = np.zeros((size, size), np.float32)
    cv2.fillPoly(mask, [_fixed(p) for p in polygons], 1.0, cv2.LINE_AA, _SHIFT)
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _line_mask(size, polylines, thickness, blur=0.0, closed=False):
    mask = np.zeros((size, size), np.float32)
    thickness = max(1, int(round(thickness)))
    cv2.polylines(
        mask,
        [_fixed(p) for p in polylines],
        closed,
        1.0,
        thickness,
        cv2.LINE_AA,
        _SHIFT,
    )
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _ellipse_mask(size, centre, axes, angle=0.0, blur=0.0):
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(
        mask,
        tuple(int(v) for v in _fixed(centre)),
        tuple(int(v) for v in _fixed(np.maximum(axes, 0.5))),
        float(angle), 0.0, 360.0, 1.0, -1, cv2.LINE_AA, _SHIFT,
    )
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _fan_mask(size, centre, loop, blur=0.0):
    """Union of the triangles from ``centre`` to each edge of the closed ``loop``.

    A projected surface patch, filled triangle by triangle: unlike one
    polygon, it leaves no hole where a turned patch folds over itself.
    """
    mask = np.zeros((size, size), np.float32)
    loop = np.asarray(loop)
    for start, end in zip(loop, np.roll(loop, -1, axis=0), strict=True):
        triangle = _fixed(np.array([centre, start, end]))
        cv2.fillConvexPoly(mask, triangle, 1.0, cv2.LINE_AA, _SHIFT)
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _shape_mask(size, shape, blur=0.0):
    """Mask of ``("ellipse", centre, axes, angle)``, ``("polygon", points)`` or
    ``("fan", centre, loop)``."""
    if shape[0] == "ellipse":
        _, centre, axes, angle = shape
        return _ellipse_mask(size, centre, axes, angle, blur)
    if shape[0] == "fan":
        return _fan_mask(size, shape[1], shape[2], blur)
    return _polygon_mask(size, [shape[1]], blur)


def _paint(canvas, mask, colour, opacity=1.0):
    """Blend ``colour`` into ``canvas`` in place, weighted by ``mask``."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return
    # Blend only the mask's bounding box: most layers cover a small area.
    window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    alpha = np.clip(mask[window] * np.float32(opacity), 0.0, 1.0)[..., None]
    region = canvas[window]
    region *= 1.0 - alpha
    region += alpha * np.asarray(colour, np.float32)


def _smooth_curve(points, n=40):
    """Catmull-Rom-like dense resampling of a polyline through ``points``."""
    points = np.asarray(points, np.float64)
    t = np.r_[0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    fine = np.linspace(0, t[-1], n)
    return np.c_[np.interp(fine, t, points[:, 0]), np.interp(fine, t, points[:, 1])]


def _frontal_geometry(landmarks, identity):
    """The painter's shapes, derived in the image plane from frontal landmarks.

    The default cohort's geometry: head outline, hair, neck, ears, folds,
    nose, brows and eye parts as offsets from the 2-D landmarks along the
    face's up and right directions.
    """
    iod = np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0))
    eye_mid = (landmarks[36:42].mean(0) + landmarks[42:48].mean(0)) / 2
    up = eye_mid - landmarks[8]
    up /= np.linalg.norm(up)
    right = np.array([-up[1], up[0]])  # image-right direction of the face

    # Head outline: the jaw below, an elliptical cranium above the brows.
    jaw = landmarks[0:17]
    temple_r, temple_l = landmarks[0], landmarks[16]
    centre = (temple_r + temple_l) / 2
    half_width = np.linalg.norm(temple_l - temple_r) / 2
    crown = 1.85 * iod
    angles = np.linspace(np.pi, 2 * np.pi, 24)[1:-1]
    # From the image-right temple over the crown to the image-left temple.
    cranium = np.array(
        [
            centre - np.cos(a) * half_width * right - np.sin(a) * crown * up
            for a in angles
        ]
    )
    behind = np.vstack([
        centre - 1.15 * half_width * right + 1.0 * crown * up,
        centre + 1.15 * half_width * right + 1.0 * crown * up,
        centre + 1.35 * half_width * right - 1.3 * iod * up,
        centre - 1.35 * half_width * right - 1.3 * iod * up,
    ])
    neck = np.vstack([landmarks[5], landmarks[11],
                      landmarks[11] + 1.5 * iod * -up + 0.1 * iod * right,
                      landmarks[5] + 1.5 * iod * -up - 0.1 * iod * right])
    ear_angle = np.degrees(np.arctan2(up[1], up[0]))
    ears = [
        ("ellipse", landmarks[index] + sign * 0.12 * iod * right + 0.1 * iod * up,
         (0.42 * iod, 0.18 * iod), ear_angle)
        for index, sign in ((1, -1), (15, 1))
    ]
    # Hair on top of the cranium, down to a hairline arched above the brows.
    hairline = identity["hairline"] * iod
    hair = np.vstack([
        cranium,
        centre - 1.02 * half_width * right,
        eye_mid - 0.9 * half_width * right + 0.55 * hairline * up,
        eye_mid - 0.45 * half_width * right + 0.85 * hairline * up,
        eye_mid + 0.95 * hairline * up,
        eye_mid + 0.45 * half_width * right + 0.85 * hairline * up,
        eye_mid + 0.9 * half_width * right + 0.55 * hairline * up,
        centre + 1.02 * half_width * right,
    ])
    folds = []
    for side, ala, corner, sign in (("right", 31, 48, -1), ("left", 35, 54, 1)):
        start = landmarks[ala] + sign * 0.15 * iod * right + 0.05 * iod * up
        end = landmarks[corner] + sign * 0.14 * iod * right - 0.08 * iod * up
        mid = (start + end) / 2 + sign * 0.1 * iod * right
        folds.append((side, [start, mid, end]))
    bridge_sides = [
        [landmarks[27] + sign * 0.12 * iod * right,
         landmarks[29] + sign * 0.17 * iod * right,
         landmarks[31 if sign < 0 else 35] + 0.08 * iod * up]
        for sign in (-1, 1)
    ]
    angle = np.degrees(np.arctan2(right[1], right[0]))
    eyes = []
    for eye_index in (np.r_[36:42], np.r_[42:48]):
        eye_centre = landmarks[eye_index].mean(axis=0)
        eyes.append({
            "socket": ("ellipse", eye_centre + 0.06 * iod * up,
                       (0.3 * iod, 0.17 * iod), angle),
            "iris": ("ellipse", eye_centre, (0.12 * iod, 0.12 * iod), 0.0),
            "pupil": ("ellipse", eye_centre, (0.05 * iod, 0.05 * iod), 0.0),
        })
    return {
        "iod": iod,
        "eye_mid": eye_mid,
        "head": np.vstack([jaw, cranium]),
        "behind": behind,
        "neck": neck,
        "ears": ears,
        "hair": hair,
        "hair_cut": None,
        "folds": folds,
        "bridge_sides": bridge_sides,
        "tip": ("ellipse", landmarks[30] + 0.04 * iod * up,
                (0.1 * iod, 0.08 * iod), 0.0),
        "nostrils": [
            ("ellipse", landmarks[index] + 0.04 * iod * up,
             (0.075 * iod, 0.035 * iod), angle)
            for index in (32, 34)
        ],
        "brows": [brow - 0.03 * iod * up
                  for brow in (landmarks[17:22], landmarks[22:27])],
        "eyes": eyes,
        "project": None,
    }


def _ellipse_3d(centre, u, v, n=24):
    """``n`` points round a 3-D ellipse with half-axes ``u`` and ``v``."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)[:, None]
    return np.asarray(centre) + np.cos(t) * u + np.sin(t) * v


def _hull(points):
    hull = cv2.convexHull(np.asarray(points, np.float32))
    return hull.reshape(-1, 2).astype(np.float64)


def _head_geometry(landmarks, identity, head):
    """The painter's shapes, built in 3-D around ``head`` and projected.

    Each shape that :func:`_frontal_geometry` derives in the image plane is
    placed here on or around the face in its own frame, with a depth, so
    that it turns with the head: the outline is the convex hull of the
    projected head (face, cheeks, cranium), so the far side narrows and the
    near side widens; the ears sit far back, so the near one comes out from
    behind the cheek and the far one hides; the hair is the cranium's cap
    above the hairline; the irises, the nostrils and the nose tip are discs
    that foreshorten.
    """
    points, project = head.points, head.project
    iod = head.scale
    eye_mid = (landmarks[36:42].mean(0) + landmarks[42:48].mean(0)) / 2
    eye_mid_3d = (points[36:42].mean(0) + points[42:48].mean(0)) / 2
    base = project(eye_mid_3d)[0]
    right = project(eye_mid_3d + [0.1, 0.0, 0.0])[0] - base
    right /= np.linalg.norm(right)
    angle = np.degrees(np.arctan2(right[1], right[0]))

    centre_x, centre_y = (points[0, :2] + points[16, :2]) / 2
    half_width = abs(points[16, 0] - points[0, 0]) / 2
    # The cranium's shell, front (azimuth 0) round to the back, from below
    # the ears (negative elevation) to the crown.
    azimuth, elevation = np.meshgrid(np.linspace(0, 2 * np.pi, 32, endpoint=False),
                                     np.linspace(-0.35, np.pi / 2, 9))
    directions = np.stack([np.cos(elevation) * np.sin(azimuth), -np.sin(elevation),
                           np.cos(elevation) * np.cos(azimuth)], -1).reshape(-1, 3)
    shell = (np.array([centre_x, centre_y, _CRANIUM_Z])
             + directions * [half_width, _CROWN, _CRANIUM_DEPTH])
    upper = shell[directions[:, 1] <= 0]
    back = shell[(directions[:, 1] > 0) & (directions[:, 2] < 0)]
    cheeks = np.array([
        [0.7 * points[1, 0], points[29, 1], -0.2],
        [0.82 * points[1, 0], points[28, 1], -0.45],
        [0.7 * points[15, 0], points[29, 1], -0.2],
        [0.82 * points[15, 0], points[28, 1], -0.45],
    ])
    # Behind the upper jaw line, the side of the head runs back to the ears.
    jaw_sides = points[np.r_[0:5, 12:17]] * [0.97, 1.0, 0.0] + [0.0, 0.0, -1.15]
    # The brows' outer ends stand out of the cranium: in a turned face the
    # brow ridge is on the outline.
    cloud = np.vstack([points, cheeks, jaw_sides, upper, back])
    outline = _hull(project(cloud))

    # The hairline arches above the brows, on the forehead's surface, down
    # to the temples at the sides; the hair is the cranium above it.
    hairline_height = identity["hairline"]
    front = eye_mid_3d[:2] + np.array([
        [-0.9 * half_width, -0.55 * hairline_height],
        [-0.45 * half_width, -0.85 * hairline_height],
        [0.0, -0.95 * hairline_height],
        [0.45 * half_width, -0.85 * hairline_height],
        [0.9 * half_width, -0.55 * hairline_height],
    ])
    hairline = np.vstack([[centre_x - 1.02 * half_width, centre_y], front,
                          [centre_x + 1.02 * half_width, centre_y]])
    hairline = np.c_[hairline, _cranium_depth(*hairline.T, centre_x, centre_y,
                                              half_width)]
    below_hairline = upper[:, 1] > np.interp(upper[:, 0], *hairline[:, :2].T)
    forehead = below_hairline & (upper[:, 2] > _CRANIUM_Z)
    hair = _hull(project(np.vstack([upper[~forehead], hairline])))
    # The skin below the hairline, as a surface patch round the nose's root.
    face_front = ("fan", project(points[27] + [0.0, -0.2, 0.0])[0],
                  project(np.vstack([points[0:17], hairline[::-1]])))

    behind_z = _CRANIUM_Z - 0.1
    behind = project(np.array([
        [centre_x - 1.15 * half_width, centre_y - _CROWN, behind_z],
        [centre_x + 1.15 * half_width, centre_y - _CROWN, behind_z],
        [centre_x + 1.35 * half_width, centre_y + 1.3, behind_z],
        [centre_x - 1.35 * half_width, centre_y + 1.3, behind_z],
    ]))
    # The neck: a cylinder from under the chin, turning with the head, to
    # the shoulders, which do not turn.
    radius = 0.55 * (points[11, 0] - points[5, 0])
    ring = _ellipse_3d([centre_x, 0.0, -0.95], [radius, 0, 0], [0, 0, 0.6], 16)
    neck = _hull(np.vstack([
        project(ring + [0.0, points[8, 1] - 0.4, 0.0]),
        project(ring * [1.12, 1.0, 1.0] + [0.0, points[5, 1] + 1.5, 0.0], turn=False),
    ]))
    # An ear is a disc in a plane that faces sideways and a little forward,
    # on the side of the skull: in front of it, behind the face's front. An
    # ear that faces away from the camera is hidden by the head.
    face_front_outline = _hull(project(np.vstack([points, cheeks])))
    ears = []
    for index, sign in ((1, -1), (15, 1)):
        centre = np.array([points[index, 0] + sign * 0.12, points[index, 1] - 0.1,
                           _EAR_Z])
        facing = (head.rotation @ [0.8 * sign, 0.0, 0.6])[2]
        if facing < -0.2:
            continue
        height, width = np.array([0.0, 0.42, 0.0]), np.array([0.18 * sign, 0, -0.24])
        ears.append((
            ("polygon", project(_ellipse_3d(centre, height, width))),
            # The concha, a hollow in the ear's front half.
            ("polygon", project(_ellipse_3d(centre + 0.2 * width + [0, 0.05, 0],
                                            0.5 * height, 0.45 * width, 16))),
        ))
    folds = []
    for side, ala, corner, sign in (("right", 31, 48, -1), ("left", 35, 54, 1)):
        start = points[ala] + [sign * 0.15, -0.05, -0.1]
        end = points[corner] + [sign * 0.14, 0.08, -0.08]
        mid = (start + end) / 2 + [sign * 0.1, 0.0, -0.06]
        folds.append((side, project(np.array([start, mid, end]))))
    bridge_sides = [
        project(np.array([points[27] + [sign * 0.12, 0.0, -0.1],
                          points[29] + [sign * 0.17, 0.0, -0.2],
                          points[31 if sign < 0 else 35] + [0.0, -0.08, -0.02]]))
        for sign in (-1, 1)
    ]
    eyes = []
    for eye_index, sign in ((np.r_[36:42], -1), (np.r_[42:48], 1)):
        eye_centre = points[eye_index].mean(axis=0)
        # The cornea stands in front of the lids' mean depth.
        cornea = eye_centre + [0.0, 0.0, 0.1]
        eyes.append({
            # The socket's outer end lies further back than its inner one.
            "socket": ("polygon", project(_ellipse_3d(
                eye_centre + [0.0, -0.06, 0.0], [0.3, 0.0, -sign * 0.12],
                [0.0, 0.17, 0.0]))),
            "iris": ("polygon", project(_ellipse_3d(cornea, [0.12, 0, 0],
                                                    [0, 0.12, 0]))),
            "pupil": ("polygon", project(_ellipse_3d(cornea, [0.05, 0, 0],
                                                     [0, 0.05, 0], 16))),
        })
    return {
        "iod": iod,
        "eye_mid": eye_mid,
        "head": outline,
        "behind": behind,
        "neck": neck,
        "ears": [],
        "front_ears": ears,
        "face_front": face_front_outline,
        "hair": hair,
        "hair_cut": face_front,
        "folds": folds,
        "bridge_sides": bridge_sides,
        "tip": ("polygon", project(_ellipse_3d(points[30] + [0.0, -0.04, 0.0],
                                               [0.1, 0, 0], [0, 0.08, 0]))),
        # Nostrils open downwards: a chin-up photo shows more of them.
        "nostrils": [
            ("polygon", project(_ellipse_3d(points[index] + [0.0, -0.04, 0.0],
                                            [0.075, 0, 0], [0, 0.035, -0.06],
                                            16)))
            for index in (32, 34)
        ],
        "brows": [project(points[brow] + [0.0, 0.03, 0.0])
                  for brow in (np.r_[17:22], np.r_[22:27])],
        "eyes": eyes,
        "angle": angle,
        "project": project,
        "points": points,
        "cranium": (centre_x, centre_y, half_width),
    }


def _lambert(depth, iod, look):
    """Side light on a rounded face: the shading of a dome over the face mask.

    ``depth`` is the distance from the outline in inter-ocular units; the
    face's height rises like a circle's arc over the first inter-ocular
    distance of it and then stays level, smoothed so that no crease shows
    where the slopes from two sides meet. The rim facing away from the light
    darkens and the one facing it brightens, as on a real face lit from the
    side; a level, frontal surface keeps its brightness.
    """
    rise = np.clip(depth, 0.0, 1.0)
    # A face is flatter than a sphere: the rim rises to 0.8 of its width.
    height = 0.8 * np.sqrt(1.0 - (1.0 - rise) ** 2) * iod
    height = cv2.GaussianBlur(height.astype(np.float32), (0, 0), 0.12 * iod)
    slope_y, slope_x = np.gradient(height)
    normal_z = 1.0 / np.sqrt(1.0 + slope_x**2 + slope_y**2)
    light = np.asarray(look["light_vector"], np.float32)
    lit = (-slope_x * light[0] - slope_y * light[1] + light[2]) * normal_z
    lit = np.clip(lit / light[2], 0.0, 1.5)
    return (1.0 - look["lambert"]) + look["lambert"] * lit


def _forehead_lines(canvas, geometry, skin, look):
    """Horizontal forehead lines, as deep as the person is old."""
    project, points, iod = geometry["project"], geometry["points"], geometry["iod"]
    if look["age"] < 0.25:
        return
    centre_x, centre_y, half_width = geometry["cranium"]
    lines = []
    for row in range(look["forehead_lines"]):
        x = np.linspace(-0.5, 0.5, 9) * (1.0 - 0.1 * row)
        y = points[19, 1] - 0.2 - 0.1 * row - 0.05 * (1 - (2 * x) ** 2)
        depth = _cranium_depth(x, y, centre_x, centre_y, half_width)
        lines.append(project(np.c_[x, y, depth]))
    mask = _line_mask(canvas.shape[0], lines, 0.02 * iod, blur=0.015 * iod)
    _paint(canvas, mask, skin * 0.7, 0.8 * (look["age"] - 0.2))


def _eye_age_marks(canvas, geometry, skin, look):
    """Upper-lid creases, lower and heavier with hooding; crow's feet with age."""
    project, points, iod = geometry["project"], geometry["points"], geometry["iod"]
    size = canvas.shape[0]
    drop = 0.1 - 0.05 * look["hooding"]
    creases = [_smooth_curve(project(points[lid] + [0.0, -drop, 0.02]), 12)
               for lid in (np.r_[36:40], np.r_[42:46])]
    mask = _line_mask(size, creases, 0.03 * iod, blur=0.02 * iod)
    _paint(canvas, mask, skin * 0.68, 0.35 + 0.4 * look["hooding"])
    if look["age"] < 0.25:
        return
    feet = []
    for corner, sign in ((36, -1), (45, 1)):
        for spread in (-0.35, 0.0, 0.35):
            start = points[corner] + [sign * 0.08, 0.0, -0.02]
            end = start + [sign * 0.18 * np.cos(spread), 0.18 * np.sin(spread), -0.08]
            feet.append(project(np.array([start, end])))
    mask = _line_mask(size, feet, 0.02 * iod, blur=0.015 * iod)
    _paint(canvas, mask, skin * 0.7, 0.8 * (look["age"] - 0.2))


def _camera(canvas, rng, look):
    """Photograph the scene: colour of the light, lens, exposure, sensor, codec.

    ``rng`` is the cohort's main generator: it gives the same draws as the
    default camera (so that the people after this photograph stay the
    same), scaled to this camera's noise level.
    """
    canvas = canvas * np.asarray(look["tint"], np.float32)
    canvas = cv2.GaussianBlur(canvas, (0, 0), look["defocus"])
    if look["motion"] > 0:
        length, angle = look["motion"], look["motion_angle"]
        width = 2 * int(np.ceil(length / 2)) + 1
        kernel = np.zeros((width, width), np.float32)
        half = (width - 1) / 2
        offset = 0.5 * length * np.array([np.cos(angle), np.sin(angle)])
        cv2.line(kernel, tuple(int(v) for v in _fixed(half - offset)),
                 tuple(int(v) for v in _fixed(half + offset)), 1.0, 1,
                 cv2.LINE_AA, _SHIFT)
        if kernel.sum() > 0:
            canvas = cv2.filter2D(canvas, -1, kernel / kernel.sum())
    canvas = canvas * np.float32(look["exposure"])
    rng.uniform(1.5, 5.0)
    canvas += rng.normal(0.0, 1.0, canvas.shape).astype(np.float32) * np.float32(
        look["noise"]
    )
    canvas = canvas * np.asarray(look["white_balance"], np.float32)
    image = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
    size = image.shape[0]
    if look["downscale"] < 1:
        small = max(16, int(round(size * look["downscale"])))
        image = cv2.resize(image, (small, small), interpolation=cv2.INTER_AREA)
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
    if look["jpeg_quality"]:
        ok, encoded = cv2.imencode(".jpg", image[..., ::-1],
                                   [cv2.IMWRITE_JPEG_QUALITY, look["jpeg_quality"]])
        if ok:
            image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(image)


def render(
    landmarks, identity, expression, rng, image_size, palsy_side, midface_severity,
    *, head=None, look=None,
):
    """Paint one photograph; ``midface_severity`` flattens the affected fold.

    ``head`` (from :func:`~sklearn_palsy.datasets._synthetic._head._pose_3d`)
    paints a face turned in 3-D: the outline, hair, ears, eyes and nose are
    built around the face in depth and projected with it; without it the
    painter derives them from the 2-D landmarks, for frontal faces. ``look``
    (from :func:`_wide_look`, with a ``head``) adds the wide variety's
    lighting, ageing and camera.

    Parameters
    ----------
    landmarks : ndarray of shape (68, 2)
        The face's iBUG 300-W landmarks in pixels.
    identity : dict
        From :func:`~sklearn_palsy.datasets._synthetic.draw_identity`: skin,
        hair, iris, background and lighting.
    expression : str
        The expression photographed; unused, the landmarks show it.
    rng : numpy.random.Generator
        Draws the sensor noise; the cohort's main generator.
    image_size : int
        Side of the square image in pixels.
    palsy_side : {"left", "right"} or None
        The subject's affected side, whose nasolabial fold fades.
    midface_severity : float
        How far, in [0, 1], the affected side's fold is flattened.
    head : _Head, default=None
        The face placed in 3-D; None paints a frontal face.
    look : dict, default=None
        The wide variety's lighting and camera; None keeps the default camera.

    Returns
    -------
    image : ndarray of shape (image_size, image_size, 3)
        The photograph, uint8 RGB.
    """
    size = image_size
    if head is None:
        geometry = _frontal_geometry(landmarks, identity)
    else:
        geometry = _head_geometry(landmarks, identity, head)
    iod = geometry["iod"]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    top, bottom = identity["background"]
    canvas = top[None, None] * (1 - yy[..., None]) + bottom[None, None] * yy[..., None]
    canvas = canvas.astype(np.float32)

    skin = identity["skin"]
    hair = identity["hair"]
    eye_mid = geometry["eye_mid"]

    if identity["long_hair"]:
        _paint(canvas, _polygon_mask(size, [geometry["behind"]], blur=size / 60),
               hair * 0.9)

    # Neck and ears in a slightly darker skin.
    _paint(canvas, _polygon_mask(size, [geometry["neck"]], blur=1.0), skin * 0.78)
    for ear in geometry["ears"]:
        _paint(canvas, _shape_mask(size, ear, 0.8), skin * 0.85)

    face_mask = _polygon_mask(size, [geometry["head"]], blur=0.7)
    # Shading: darker towards the outline, and a directional light.
    inside = (face_mask > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5) / max(iod, 1.0)
    shade = 0.72 + 0.28 * np.clip(depth / 0.55, 0, 1)
    lighting = identity if look is None else look
    light = np.array([np.cos(lighting["light_angle"]),
                      np.sin(lighting["light_angle"])])
    rel = np.stack([xx * size - eye_mid[0], yy * size - eye_mid[1]], -1) / (2.5 * iod)
    shade = shade * (1 + lighting["light_strength"] * (rel @ light.astype(np.float32)))
    if look is not None:
        shade = shade * _lambert(depth, iod, look)
    face_layer = skin[None, None].astype(np.float32) * shade[..., None]
    alpha = face_mask[..., None]
    canvas = canvas * (1 - alpha) + face_layer * alpha
    if look is not None:
        _forehead_lines(canvas, geometry, skin, look)

    # Hair on top of the cranium, down to a hairline arched above the brows.
    hair_mask = _polygon_mask(size, [geometry["hair"]], blur=1.2)
    if geometry["hair_cut"] is not None:
        hair_mask *= 1.0 - _shape_mask(size, geometry["hair_cut"], blur=1.2)
    hair_mask = hair_mask * face_mask
    _paint(canvas, hair_mask, hair)
    if geometry.get("front_ears"):
        behind_face = 1.0 - _polygon_mask(size, [geometry["face_front"]], blur=0.7)
        for ear, concha in geometry["front_ears"]:
            _paint(canvas, _shape_mask(size, ear, 0.8) * behind_face, skin * 0.85)
            _paint(canvas, _shape_mask(size, concha, 0.05 * iod) * behind_face,
                   skin * 0.62, 0.6)

    # Cheek and nasolabial shading. A palsied side is flat: its fold fades.
    for side, fold_points in geometry["folds"]:
        strength = 1.0 - (midface_severity if side == palsy_side else 0.0)
        fold = _line_mask(size, [_smooth_curve(fold_points, 12)],
                          0.06 * iod, blur=0.05 * iod)
        opacity = 0.55 * strength
        if look is not None:
            opacity = opacity * look["fold_depth"]
        _paint(canvas, fold, skin * 0.55, opacity)

    if look is not None:
        # The nose casts a soft shadow away from the light.
        away = -light * 0.2 * iod * np.hypot(*look["light_vector"][:2])
        shadow = _polygon_mask(size, [landmarks[[27, 31, 33, 35]] + away],
                               blur=0.08 * iod)
        _paint(canvas, shadow * face_mask, skin * 0.55, 0.6 * look["lambert"])

    # Nose: shaded bridge sides, a lit tip and dark nostrils.
    for side_line in geometry["bridge_sides"]:
        _paint(canvas, _line_mask(size, [_smooth_curve(side_line, 10)], 0.07 * iod,
                                  blur=0.06 * iod), skin * 0.6, 0.6)
    nose_base = np.vstack([landmarks[31:36], landmarks[30]])
    _paint(canvas, _polygon_mask(size, [nose_base], blur=0.08 * iod), skin * 0.8, 0.6)
    _paint(canvas, _shape_mask(size, geometry["tip"], blur=0.07 * iod),
           np.minimum(skin * 1.12, 255), 0.6)
    for nostril in geometry["nostrils"]:
        _paint(canvas, _shape_mask(size, nostril, blur=0.02 * iod), skin * 0.25, 0.9)

    # Brows: thick strokes whose upper edge follows landmarks 17-26, in the
    # brows' own colour where the identity has one (the wide variety's, which
    # grey less than the hair), else the hair's.
    thickness = identity["brow_thickness"] * iod
    for brow in geometry["brows"]:
        centre_line = _smooth_curve(brow, 20)
        brow_mask = _line_mask(size, [centre_line], 2 * thickness * 0.7,
                               blur=0.02 * iod)
        if head is not None:
            # A turned face's far brow ends on the outline.
            brow_mask *= face_mask
        _paint(canvas, brow_mask, identity.get("brow", hair) * 0.8, 0.95)

    # Eyes: a socket shadow, sclera, iris and pupil inside the lids, a dark
    # upper lid margin with lashes and a lighter lower one.
    for eye_index, parts in zip((np.r_[36:42], np.r_[42:48]), geometry["eyes"],
                                strict=True):
        eye = landmarks[eye_index]
        upper = _smooth_curve(eye[[0, 1, 2, 3]], 16)
        lower = _smooth_curve(eye[[3, 4, 5, 0]], 16)
        opening = np.linalg.norm((eye[1] + eye[2]) / 2 - (eye[4] + eye[5]) / 2)
        _paint(canvas, _shape_mask(size, parts["socket"], blur=0.08 * iod),
               skin * 0.7, 0.55)
        if opening > 0.02 * iod:
            sclera = _polygon_mask(size, [np.vstack([upper, lower])])
            _paint(canvas, sclera, (240, 238, 234))
            iris = _shape_mask(size, parts["iris"]) * sclera
            _paint(canvas, iris, identity["iris"])
            pupil = _shape_mask(size, parts["pupil"]) * sclera
            _paint(canvas, pupil, (10, 10, 10))
            _paint(canvas, _line_mask(size, [lower], 0.035 * iod), skin * 0.4, 0.85)
        _paint(canvas, _line_mask(size, [upper], 0.07 * iod), (25, 20, 20), 1.0)
    if look is not None:
        _eye_age_marks(canvas, geometry, skin, look)

    # Mouth: lips, and the gap between them with teeth when it is open.
    lip_colour = skin * np.array([0.8, 0.45, 0.48])
    outer = landmarks[48:60]
    _paint(canvas, _polygon_mask(size, [outer], blur=0.02 * iod), lip_colour, 0.95)
    _paint(
        canvas,
        _line_mask(size, [outer], 0.025 * iod, closed=True),
        lip_colour * 0.7,
        0.6,
    )
    inner = landmarks[60:68]
    gap = np.linalg.norm(landmarks[62] - landmarks[66])
    if gap > 0.04 * iod:
        _paint(canvas, _polygon_mask(size, [inner]), (60, 25, 30))
        teeth = _polygon_mask(size, [inner]) * (
            yy * size < (landmarks[62, 1] + 0.5 * gap)
        )
        _paint(canvas, teeth, (235, 230, 215), 0.9)
    _paint(canvas, _line_mask(size, [np.vstack([landmarks[48], landmarks[60:65],
                                                  landmarks[54]])], 0.04 * iod),
           lip_colour * 0.45, 0.9)

    if look is not None:
        return _camera(canvas, rng, look)
    # Camera: slight blur, sensor noise, then 8 bits.
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.6)
    canvas += rng.normal(0.0, rng.uniform(1.5, 5.0), canvas.shape).astype(np.float32)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)
