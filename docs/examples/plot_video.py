"""
Videos: frames sampled by movement, and a probability per frame
================================================================

Clinical palsy sets are videos of standard movements. A frame of a video is
addressed by a *frame reference*, ``"<video path>#frame=<index>"``, which
every image reader of the package takes; the video is decoded lazily, one
frame at a time.

Here a synthetic patient with a palsy of the left side is filmed for eight
seconds moving from rest into a smile, raised eyebrows and closed eyes, and
back. :func:`~sklearn_palsy.datasets.sample_video_frames` picks the most
neutral frame and the apex of each movement; the landmarks are detected on
those frames, and a classifier trained on photographs gives a probability
of palsy for every frame, and one per video.

Synthetic data; sklearn-palsy is a research tool, not a medical device.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy import ExpressionFeatures, LandmarkDetector, make_synthetic_cohort
from sklearn_palsy.datasets import (
    expand_videos,
    make_synthetic_video,
    sample_video_frames,
)
from sklearn_palsy.faces import IBUG68, read_image
from sklearn_palsy.reporting import plot_landmarks

folder = Path(tempfile.mkdtemp())
expressions = ("rest", "smile", "rest", "raise_eyebrows", "rest", "close_eyes",
               "rest")
patient = make_synthetic_video(
    folder / "P01.mp4", duration=8.0, fps=8, image_size=160,
    expressions=expressions, palsy_side="left", severity=0.8, random_state=1,
)
control = make_synthetic_video(
    folder / "C01.mp4", duration=8.0, fps=8, image_size=160,
    expressions=expressions, random_state=2,
)
print(patient.n_frames, "frames;", patient.side, "palsy, severity", patient.severity)

# %%
# Frames chosen by movement
# -------------------------
# One pass over grey thumbnails of the video: the frame closest to the
# video's most common state is the rest frame (``movement`` 0), then the
# peak of each movement episode. The renderer's ground truth says which
# expression each frame shows and how far into it the face is
# (``intensity``, 1 at the apex).
frames = sample_video_frames(patient.path, n_frames=4, method="movement")
frames["expression"] = patient.expression[frames["frame"]]
frames["intensity"] = patient.intensity[frames["frame"]].round(2)
print(frames[["frame", "time_s", "movement", "expression", "intensity"]])

# %%
# The landmarks are detected on the frame references, exactly as on image
# files (MediaPipe's 478 points, drawn here as their 68 iBUG equivalents):
detector = LandmarkDetector(backend="mediapipe")
landmarks = detector.scheme.to_ibug68(detector.fit_transform(frames["image"]))
fig, axes = plt.subplots(1, len(frames), figsize=(10, 3))
for ax, reference, points, row in zip(axes, frames["image"], landmarks,
                                      frames.itertuples(), strict=True):
    plot_landmarks(read_image(reference), points, IBUG68, ax=ax)
    ax.set_title(f"{row.time_s:.1f} s: {row.expression}", fontsize=9)
    ax.axis("off")
fig.tight_layout()

# %%
# A probability per frame and per video
# -------------------------------------
# A features model (landmarks, symmetry and clinical features, logistic
# regression) is trained on synthetic *photographs*, then predicts every
# second frame of both videos. :func:`~sklearn_palsy.datasets.expand_videos`
# turns the videos into frame references, each with its video's group.
cohort = make_synthetic_cohort(n_patients=12, n_controls=12, image_size=160,
                               random_state=0)
model = make_pipeline(
    LandmarkDetector(backend="mediapipe"),
    ExpressionFeatures(kinds=("symmetry", "clinical")),
    StandardScaler(),
    LogisticRegression(C=0.1),
).fit(cohort.images, cohort.y)

data = expand_videos([patient.path, control.path], groups=["P01", "C01"],
                     every=2)
probability = model.predict_proba(data.X)[:, 1]
per_frame = data.table.assign(group=data.groups, probability=probability)
print(per_frame.groupby("group")["probability"].mean().round(2))

# %%
# The patient's frames read as palsy throughout, most clearly where the
# weak side is left behind by a movement; the control's stay low. The grey
# band is the ground-truth intensity of the patient's expressions.
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.fill_between(patient.time_s, 0, patient.intensity, color="0.85",
                label="expression intensity (patient)")
for group, colour in (("P01", "tab:red"), ("C01", "tab:blue")):
    rows = per_frame[per_frame["group"] == group]
    ax.plot(rows["time_s"], rows["probability"], "o-", color=colour, ms=3,
            label=f"{group}: P(palsy), mean {rows['probability'].mean():.2f}")
ax.set(xlabel="time (s)", ylabel="probability of palsy", ylim=(-0.02, 1.02))
ax.legend(loc="center right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# ``pd.Series(probability).groupby(data.groups).mean()`` is the per-video
# answer; :class:`~sklearn_palsy.clinical.PatientClassifier` pools a
# patient's frames the same way inside cross-validation, with the patient
# ids of :func:`~sklearn_palsy.load_manifest` as groups.
print(pd.Series(probability).groupby(data.groups).mean().round(2).to_dict())
