"""What the clinic measures: regional scores, movement from rest, grades, patients.

Beyond the paper's palsy-or-not per photo:

- :class:`PatientMovement`: each expression photo against the same
  patient's rest photo, per side and as a ratio (brow elevation, eye
  closure, commissure excursion...);
- :class:`PatientClassifier`: one prediction per patient from all of their
  photos;
- :class:`OrdinalClassifier`: grades (House-Brackmann I-VI or any ordered
  labels) with the Frank and Hall decomposition.
"""

from ._movement import (
    EXPRESSIONS,
    MOVEMENTS,
    MovementWarning,
    PatientMovement,
    movement_feature_names,
)
from ._ordinal import OrdinalClassifier
from ._patient import PatientClassifier

__all__ = [
    "EXPRESSIONS",
    "MOVEMENTS",
    "MovementWarning",
    "OrdinalClassifier",
    "PatientClassifier",
    "PatientMovement",
    "movement_feature_names",
]
