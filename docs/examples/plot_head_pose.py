"""
Head pose: a turned head fakes asymmetry
========================================

Render healthy faces turned by known angles, estimate their yaw from the
landmarks with :class:`sklearn_palsy.preprocessing.HeadPoseFeatures`, and
see what the turn does to a symmetry feature: a healthy face turned by 20
degrees looks more lopsided than a face with palsy looking straight ahead.
Then screen the photographs with
:func:`sklearn_palsy.preprocessing.screen_head_pose` before anything is
fitted.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy import ExpressionFeatures, LandmarkDetector, make_synthetic_cohort
from sklearn_palsy.preprocessing import HeadPoseFeatures, screen_head_pose

yaws = [-30, -20, -10, 0, 10, 20, 30]
cohorts = [
    make_synthetic_cohort(n_patients=0, n_controls=4, expressions=("rest",),
                          yaw=float(yaw), random_state=0)
    for yaw in yaws
]
images = np.concatenate([cohort.images for cohort in cohorts])
true_yaw = np.concatenate([cohort.yaw for cohort in cohorts])

# Faces with palsy, looking straight ahead, for comparison.
patients = make_synthetic_cohort(n_patients=4, n_controls=0, expressions=("rest",),
                                 random_state=0)

# %%
# Landmarks, then pose. ``LandmarkDetector`` uses MediaPipe where it runs
# (dlib otherwise); the pose comes from the nose, the eye corners and the
# chin, matched to a generic 3-D face.
detector = LandmarkDetector()
landmarks = detector.fit_transform(images)
pose = HeadPoseFeatures(image_size=images[0].shape[:2]).set_output(
    transform="pandas")
angles = pose.fit_transform(landmarks)
angles["true yaw"] = true_yaw
print(angles.groupby("true yaw")["yaw"].agg(["mean", "std"]).round(1))

# %%
# A symmetry feature of the same faces: the ratio of the distances from
# each outer eye corner to the face's edge (1 for a symmetric face).
features = ExpressionFeatures(kinds=("symmetry",)).set_output(transform="pandas")
healthy = features.fit_transform(landmarks)["symmetry__canthus_face_edge_ratio"]
palsy = features.fit_transform(detector.transform(patients.images))[
    "symmetry__canthus_face_edge_ratio"]

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
left.plot([-35, 35], [-35, 35], color="grey", lw=1, label="exact")
left.fill_between([-35, 35], [-40, 30], [-30, 40], color="grey", alpha=0.15,
                  label="within 5 degrees")
left.scatter(true_yaw, angles["yaw"], s=18, label="estimated")
left.set(xlabel="true yaw (degrees)", ylabel="estimated yaw (degrees)",
         title="Yaw from the landmarks")
left.legend(loc="upper left")
right.scatter(true_yaw, healthy, s=18, label="healthy, turned")
right.axhspan(palsy.min(), palsy.max(), color="tab:red", alpha=0.2,
              label="palsy, frontal (range)")
right.set(xlabel="true yaw (degrees)", ylabel="canthus-to-face-edge ratio",
          title="A turn reads as asymmetry")
right.legend(loc="lower center")
fig.tight_layout()

# %%
# Screen before fitting: ``keep`` indexes the images, labels and groups.
screening = screen_head_pose(images, max_yaw=15)
print(f"kept {screening.keep.sum()} of {len(images)} photographs")
print(screening.rejected.round(1).head())

# %%
# One face turned by -30, 0 and 30 degrees, its landmarks and its estimate.
fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, yaw in zip(axes, (-30, 0, 30), strict=True):
    index = int(np.flatnonzero(true_yaw == yaw)[0])
    ax.imshow(images[index])
    ax.plot(*landmarks[index].T, ".", ms=1, color="yellow")
    ax.set_title(f"true {yaw}, estimated {angles['yaw'].iloc[index]:.0f}")
    ax.axis("off")
fig.tight_layout()
plt.show()
