"""
Correcting a landmark, then measuring again
===========================================

Emotrics' workflow is *detect, let a person correct, then measure*. Here
dlib's 68 landmarks are detected on two synthetic smiles and written to a
CSV file (one row per point: ``image, point, x, y``); a "correction" moves
the left mouth corner (iBUG point 54) of one face, as a person would in a
spreadsheet or an annotation tool; and the corrected file, given to
:class:`sklearn_palsy.LandmarkDetector` as ``landmarks=``, takes precedence
over detection for the images it lists. The features that involve the
corner change; the others do not move at all.

See :ref:`landmark_correction` for the file formats and the rules of
precedence.
"""

import csv
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy import ExpressionFeatures, LandmarkDetector, make_synthetic_cohort
from sklearn_palsy.faces import load_landmarks, read_image, write_landmarks
from sklearn_palsy.reporting import plot_landmarks

folder = Path(tempfile.mkdtemp())
cohort = make_synthetic_cohort(
    n_patients=1, n_controls=1, expressions=("smile",), image_size=224,
    random_state=3, output_dir=folder / "cohort",
)
images = list(cohort.X)

# %%
# Detect and write
# ----------------
# The CSV names each image relative to its own folder, and keeps every
# digit of every coordinate, so a file written and read back gives the
# very same numbers.
detector = LandmarkDetector(backend="dlib")
detected = detector.fit_transform(images)
[marks] = write_landmarks(folder / "landmarks.csv", images, detected)
print(marks.read_text().splitlines()[:3])

# %%
# Correct one point
# -----------------
# Any editor will do; here the ``csv`` module moves point 54 of the first
# image 6 px outwards and 4 px up (the subject's left is the image's right).
shift = np.array([6.0, -4.0])
first = Path(images[0]).relative_to(folder).as_posix()
with open(marks, newline="") as handle:
    rows = list(csv.reader(handle))
for row in rows[1:]:
    if row[0] == first and row[1] == "54":
        row[2], row[3] = repr(float(row[2]) + shift[0]), repr(float(row[3]) + shift[1])
with open(marks, "w", newline="") as handle:
    csv.writer(handle, lineterminator="\n").writerows(rows)

corrected_set = load_landmarks(marks)
print(corrected_set)

# %%
# Measure again
# -------------
# ``landmarks=`` takes the file (or the loaded set). The detector is not
# run for the images the file lists; it would be for any other.
features = ExpressionFeatures(kinds=("symmetry", "clinical")).fit(detected)
names = features.get_feature_names_out()
before = features.transform(detected)
corrected = LandmarkDetector(backend="dlib", landmarks=str(marks)).fit_transform(images)
after = features.transform(corrected)

change = after[0] - before[0]
moved = np.flatnonzero(np.abs(change) > 1e-12)
print(f"{len(moved)} of {len(names)} features changed; the second image's: "
      f"{int(np.count_nonzero(after[1] != before[1]))}")
for index in moved:
    print(f"  {names[index]:<48} {before[0, index]:9.4f} -> {after[0, index]:9.4f}")

# %%
# Before and after
# ----------------
# Top: the face with its detected landmarks, and the mouth enlarged,
# detected points as rings and corrected ones as crosses. Bottom: how much
# each feature that moved changed, relative to its detected value (the
# features have different units: degrees, inter-ocular distances, ratios).
pixels = read_image(images[0])
fig, axes = plt.subplot_mosaic([[0, 1], [2, 2]], figsize=(9, 8.5),
                               height_ratios=[1, 1.3])
plot_landmarks(pixels, detected[0], ax=axes[0])
axes[0].set_title("detected landmarks")
mouth = slice(48, 68)
axes[1].imshow(pixels)
axes[1].plot(*detected[0, mouth].T, "o", ms=7, mfc="none", color="tab:blue",
             label="detected")
axes[1].plot(*corrected[0, mouth].T, "x", ms=5, color="tab:orange", label="corrected")
axes[1].annotate("", xy=corrected[0, 54], xytext=detected[0, 54],
                 arrowprops={"arrowstyle": "->", "color": "tab:red"})
centre = detected[0, mouth].mean(axis=0)
axes[1].set_xlim(centre[0] - 30, centre[0] + 30)
axes[1].set_ylim(centre[1] + 20, centre[1] - 20)
axes[1].set_title("point 54 moved by (6, -4) px")
axes[1].legend(loc="lower left", fontsize=8)
axes[1].set_axis_off()
short = [name.split("__")[1] for name in names[moved]]
relative = 100 * change[moved] / np.abs(before[0, moved])
axes[2].barh(short, relative, color="tab:orange")
axes[2].axvline(0, color="grey", lw=0.8)
axes[2].tick_params(axis="y", labelsize=8)
axes[2].set_xlabel("change, % of the detected value")
axes[2].set_title("features that moved")
fig.tight_layout()
plt.show()
