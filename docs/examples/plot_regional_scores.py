"""
Regional eFACE-style scores and the affected side
=================================================

Score the brow, eye, midface and mouth of each face from 0 to 100 (100 =
symmetric) with :func:`sklearn_palsy.regional_scores`, from a rest
photo and the expression photos of the same people, and compare the side it
calls affected with the side the synthetic cohort's renderer chose. No model
is trained: the scores are ratios of the two sides' landmark measures, as
Emotrics+ computes the eFACE. The cohort has both types of palsy:
peripheral, which weakens the whole half face, and central, which spares
the forehead.

Synthetic data; sklearn-palsy is a research tool, not a medical device.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy import make_synthetic_cohort, regional_scores

cohort = make_synthetic_cohort(
    n_patients=6, n_controls=3, image_size=64,
    palsy_types=("peripheral", "central"), random_state=1,
)

# %%
# The rest photos are the faces to score. Each expression photo goes in
# ``expressions`` row by row for the same people, in the same order; the
# cohort photographs every person in every expression, so selecting one
# expression keeps the people's order. Ground-truth landmarks stand in for
# detected ones (on photographs, use :class:`sklearn_palsy.LandmarkDetector`).
rest = cohort.expression == "rest"
people = cohort.groups[rest]
expressions = {}
for name in ("raise_eyebrows", "close_eyes", "smile"):
    photos = cohort.expression == name
    assert (cohort.groups[photos] == people).all()
    expressions[name] = cohort.landmarks[photos]

scores = regional_scores(cohort.landmarks[rest], expressions=expressions)
scores.insert(0, "person", people)
scores["true_side"] = cohort.side[rest]
scores["type"] = cohort.palsy_type[rest]
scores["severity"] = cohort.severity[rest]
regions = ["brow", "eye", "midface", "mouth"]
print(scores[["person", "type", "severity", *regions, "static_score", "dynamic_score"]]
      .round(2).to_string(index=False))

# %%
# The affected side that the items vote for, with its confidence, next to
# the side the renderer drew ("none" for the controls). The sides are the
# subject's own: the subject's right is on the image's left. The confidence
# is lower for central palsies, whose symmetric brow and eye items vote for
# neither side.
print(scores[["person", "true_side", "affected_side", "side_confidence"]]
      .round(2).to_string(index=False))
agree = (scores["affected_side"] == scores["true_side"]).mean()
print(f"affected side as drawn: {agree:.0%} of {len(scores)} people")

# %%
# One group of bars per person. Controls stay near 100 in every region.
# Peripheral palsies lower every region, the more so the higher the
# severity; central palsies lower the midface and mouth and leave the brow
# near 100 (the renderer weakens their eye by 15 % of their severity).
fig, ax = plt.subplots(figsize=(9, 4.4))
width = 0.2
positions = np.arange(len(scores))
for offset, region in enumerate(regions):
    ax.bar(positions + (offset - 1.5) * width, scores[region], width,
           label=region)
ax.set_xticks(positions, [
    f"{row.person}\n{'control' if row.type == 'none' else row.type}\n"
    f"drawn: {row.true_side}\ncalled: {row.affected_side}"
    for row in scores.itertuples()
], fontsize=8)
ax.axhline(100, color="grey", linewidth=0.8, linestyle="--")
ax.set_ylim(0, 125)
ax.set_ylabel("score (100 = symmetric)")
ax.set_title("Regional scores from rest and expression photos")
ax.legend(ncol=4, loc="upper center", fontsize=8)
fig.tight_layout()
plt.show()
