"""
Synthetic faces and their landmarks
===================================

Generate a small synthetic cohort and draw a face with palsy and a control
face with their ground-truth iBUG 300-W 68-point landmarks, using
:func:`sklearn_palsy.reporting.plot_landmarks`. The text box shows three of
the 29 symmetry features of :class:`sklearn_palsy.ExpressionFeatures`:
ratios are 1 for a symmetric face and angles are 0 for a level one.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy import ExpressionFeatures, make_synthetic_cohort
from sklearn_palsy.reporting import plot_landmarks

cohort = make_synthetic_cohort(
    n_patients=2, n_controls=2, expressions=("smile",), image_size=160,
    random_state=0,
)
print(cohort.frame[["patient_id", "expression", "side", "severity"]])

# %%
# The features are computed from the landmarks; column 14 is the commissure
# angle, 16 the lateral lip-height ratio and 3 the brow-height ratio.
features = ExpressionFeatures(kinds=("symmetry",)).fit_transform(cohort.landmarks)
names = {"commissure angle": 14, "lateral lip ratio": 16, "brow-height ratio": 3}

patient = int(np.flatnonzero(cohort.y == 1)[0])
control = int(np.flatnonzero(cohort.y == 0)[0])
fig, axes = plt.subplots(1, 2, figsize=(8, 4.5))
for ax, index in zip(axes, [patient, control], strict=True):
    measures = {name: features[index, column] for name, column in names.items()}
    plot_landmarks(cohort.images[index], cohort.landmarks[index],
                   features=measures, ax=ax)
    side = cohort.side[index]
    ax.set_title(f"{cohort.groups[index]}: "
                 + ("control" if side == "none" else f"palsy, {side} side"))
fig.tight_layout()
plt.show()
