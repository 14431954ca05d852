"""
Turned faces and a cohort that varies like real photos
======================================================

:func:`sklearn_palsy.make_synthetic_cohort` renders frontal faces by default.
With ``yaw`` and ``pitch`` (degrees) it turns each face in 3-D: every
landmark, and the outline, ears, hair, eyes and nose drawn around them, has
a depth from a generic face profile, is rotated by yaw then pitch and
projected with a mild perspective. Positive yaw turns the nose towards the
image's right, positive pitch tilts the chin up. The ground-truth landmarks
are the projected points, so they can check a head-pose estimator.

With ``variety="wide"`` the photos vary as real ones do: face shape, skin
tone and age; light from one side (a shading gradient across the face, which
a model may mistake for asymmetry); pose; camera (perspective, defocus,
motion blur, noise, white balance, resolution, JPEG); expression amplitude;
framing. Nothing here is real patient data.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy import make_synthetic_cohort

# %%
# One control person, photographed at rest at yaw -30 to 30 degrees (columns)
# and pitch -20 to 20 degrees (rows). The same ``random_state`` gives the
# same person, framing and noise in every cell; only the pose changes. The
# dots are the ground-truth landmarks; the line joins the outer eye corners,
# and the nose tip (30) lies right of its middle when the yaw is positive.
yaws = (-30, -15, 0, 15, 30)
pitches = (20, 0, -20)
fig, axes = plt.subplots(len(pitches), len(yaws), figsize=(10, 6.4))
for row, pitch in enumerate(pitches):
    for column, yaw in enumerate(yaws):
        face = make_synthetic_cohort(
            n_patients=0, n_controls=1, expressions=("rest",), image_size=160,
            yaw=float(yaw), pitch=float(pitch), random_state=3,
        )
        landmarks = face.landmarks[0]
        ax = axes[row, column]
        ax.imshow(face.images[0])
        ax.scatter(*landmarks.T, s=2, c="lime")
        ax.plot(*landmarks[[36, 45]].T, c="yellow", lw=0.8)
        ax.scatter(*landmarks[30], s=12, c="red")
        ax.set_title(f"yaw {yaw:+d}, pitch {pitch:+d}", fontsize=8)
        ax.axis("off")
fig.tight_layout()
plt.show()

# %%
# A wide cohort: every photo has its own lighting, camera, pose, expression
# amplitude and framing, and every person their own proportions, skin tone
# and age. The people, their palsy sides and severities are those of the
# standard cohort with the same ``random_state``.
wide = make_synthetic_cohort(
    n_patients=6, n_controls=6, expressions=("rest", "smile"), image_size=160,
    variety="wide", random_state=0,
)
standard = make_synthetic_cohort(
    n_patients=6, n_controls=6, expressions=("rest", "smile"), image_size=160,
    random_state=0,
)
print("same people and sides:", wide.side.tolist() == standard.side.tolist())
print(wide.frame[["patient_id", "expression", "side", "yaw", "pitch",
                  "roll"]].round(1).head(8))

shown = np.arange(0, len(wide.y), 2)[:12]
fig, axes = plt.subplots(2, 6, figsize=(12, 4.6))
for ax, index in zip(axes.ravel(), shown, strict=True):
    ax.imshow(wide.images[index])
    side = wide.side[index]
    ax.set_title(
        f"{wide.groups[index]} {'control' if side == 'none' else side}\n"
        f"yaw {wide.yaw[index]:+.0f}, pitch {wide.pitch[index]:+.0f}",
        fontsize=8,
    )
    ax.axis("off")
fig.tight_layout()
plt.show()

# %%
# How much more the wide cohort varies: the left-right brightness gradient
# across the face (what side light does) and the sharpness (the variance of
# the Laplacian inside the face), per image.


def left_right_gradient_and_sharpness(cohort):
    import cv2

    values = []
    columns = np.arange(cohort.images.shape[2])[None]
    for image, landmarks in zip(cohort.images, cohort.landmarks, strict=True):
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(float)
        face = np.zeros(grey.shape, np.uint8)
        hull = cv2.convexHull(np.round(landmarks[:27]).astype(np.int32))
        cv2.fillConvexPoly(face, hull, 1)
        face = face.astype(bool)
        left = grey[face & (columns < landmarks[30, 0])].mean()
        right = grey[face & (columns >= landmarks[30, 0])].mean()
        sharpness = cv2.Laplacian(grey, cv2.CV_64F)[face].var()
        values.append(((left - right) / grey[face].mean(), sharpness))
    return np.array(values)


fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for name, cohort in (("standard", standard), ("wide", wide)):
    values = left_right_gradient_and_sharpness(cohort)
    axes[0].hist(values[:, 0], bins=15, alpha=0.6, label=name)
    axes[1].hist(np.log10(values[:, 1]), bins=15, alpha=0.6, label=name)
axes[0].set_xlabel("(left - right) / mean brightness of the face")
axes[1].set_xlabel("log10 Laplacian variance (sharpness)")
for ax in axes:
    ax.set_ylabel("images")
    ax.legend()
fig.tight_layout()
plt.show()
