"""
Line-segment images of a palsy and a control face
=================================================

:class:`sklearn_palsy.LineSegmentRenderer` aligns each face on its eyes and
draws its facial line segments as white polylines on black. Alignment drops
pose, position, size and identity (skin, hair, lighting) and keeps the
asymmetry as geometry: the drooping brow and mouth corner of the face with
palsy stand out against the midline guide.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy import LineSegmentRenderer, make_synthetic_cohort

cohort = make_synthetic_cohort(
    n_patients=1, n_controls=1, expressions=("rest", "smile"), image_size=160,
    severity_range=(0.9, 1.0), random_state=1,
)
renderer = LineSegmentRenderer(size=128, guides=("midline", "commissures"))
lines = renderer.fit_transform(cohort.landmarks)
print(lines.shape, lines.dtype)

# %%
# Top row: the photographs; bottom row: their line-segment images.
fig, axes = plt.subplots(2, len(lines), figsize=(2.2 * len(lines), 4.6))
for column, index in enumerate(np.argsort(-cohort.y, kind="stable")):
    label = "palsy" if cohort.y[index] == 1 else "control"
    axes[0, column].imshow(cohort.images[index])
    axes[0, column].set_title(f"{label}, {cohort.expression[index]}", fontsize=9)
    axes[1, column].imshow(lines[index], cmap="gray")
for ax in axes.ravel():
    ax.set_axis_off()
fig.tight_layout()
plt.show()
