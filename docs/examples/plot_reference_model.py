"""
The reference model shipped with the package
============================================

``sklearn-palsy predict IMAGES`` works before anything is trained: it uses
small models stored inside the package
(:func:`sklearn_palsy.paper.load_reference_model`), trained on synthetic
faces only: one for palsy, at a threshold chosen for 90 % specificity on
other synthetic people, and one for its type. Here the palsy model scores
new synthetic people whose palsy runs from none to complete, against its
threshold, and :func:`sklearn_palsy.paper.reference_model_info` says what
it was trained and measured on.

A research baseline on synthetic faces, not a diagnostic.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.paper import load_reference_model, reference_model_info

model = load_reference_model()  # MediaPipe landmarks where MediaPipe runs
info = reference_model_info()
print(" -> ".join(info["pipeline"]))
print(f"trained on {info['training_cohort']['n_images']} synthetic images of "
      f"{info['training_cohort']['n_people']} people")
print(f"threshold {model.threshold}: chosen for a specificity of "
      f"{info['threshold']['specificity_target']}")
for name, figures in info["held_out"].items():
    print(f"held-out {name!r}: per photo specificity "
          f"{figures['image']['specificity']}, sensitivity to moderate-severe "
          f"palsy {figures['image']['recall_moderate_to_severe']}; per patient "
          f"ROC AUC {figures['patient']['roc_auc']}")

# %%
# Four controls and six patients of increasing severity, smiling and
# raising their eyebrows. Each patient is rendered alone, so that their
# severity is the one asked for.
expressions = ("smile", "raise_eyebrows")
severities = [0.0] * 4 + [0.1, 0.25, 0.4, 0.55, 0.7, 0.9]
images, labels = [], []
for person, severity in enumerate(severities):
    cohort = make_synthetic_cohort(
        n_patients=int(severity > 0), n_controls=int(severity == 0),
        expressions=expressions, severity_range=(severity, severity),
        random_state=100 + person,
    )
    images.append(cohort.images)
    labels.append(f"{severity:.2f}" if severity else f"control {person + 1}")
proba = model.predict_proba(np.concatenate(images))[:, 1].reshape(
    len(severities), len(expressions))

fig, ax = plt.subplots(figsize=(7, 3.2))
positions = np.arange(len(severities))
for index, expression in enumerate(expressions):
    ax.bar(positions + (index - 0.5) * 0.38, proba[:, index], width=0.38,
           label=expression)
ax.axhline(model.threshold, color="grey", lw=0.8, ls="--",
           label="the model's threshold")
ax.set_xticks(positions, labels, rotation=30, ha="right")
ax.set_xlabel("palsy severity of the person")
ax.set_ylabel("P(palsy)")
ax.set_ylim(0, 1)
ax.set_title("Reference model on new synthetic people")
ax.legend(frameon=False)
fig.tight_layout()
plt.show()
