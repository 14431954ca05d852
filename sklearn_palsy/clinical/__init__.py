"""What the clinic measures: regional scores, movement from rest, grades, patients.

Beyond the paper's palsy-or-not per photo:

- :func:`regional_scores` and :class:`RegionalScores`: the eFACE's static
  items (0-200, 100 balanced), dynamic and synkinesis items, subscores,
  total and zone scores, and brow / eye / mid-face / mouth scores, with the
  affected side (given or inferred) and a confidence, from landmarks alone;
- :class:`PatientMovement`: each expression photo against the same
  patient's rest photo (or a video's most neutral frame,
  :func:`video_key_frames`), per side and as a ratio (brow elevation, eye
  closure, commissure excursion...);
- :class:`PatientClassifier`: one prediction per patient from all of their
  photos;
- :class:`OrdinalClassifier`: grades (House-Brackmann I-VI or any ordered
  labels) with the Frank and Hall decomposition.
"""

from ._key_frames import video_key_frames
from ._movement import MovementWarning, PatientMovement, movement_feature_names
from ._movement_measures import EXPRESSIONS, MOVEMENTS
from ._ordinal import OrdinalClassifier
from ._patient import PatientClassifier
from ._regional import (
    DYNAMIC_ITEMS,
    EXPRESSION_ITEMS,
    REGIONS,
    STATIC_ITEMS,
    SYNKINESIS_ITEMS,
    ZONES,
    RegionalScores,
    regional_score_names,
    regional_scores,
)

__all__ = [
    "DYNAMIC_ITEMS",
    "EXPRESSIONS",
    "EXPRESSION_ITEMS",
    "MOVEMENTS",
    "MovementWarning",
    "OrdinalClassifier",
    "PatientClassifier",
    "PatientMovement",
    "REGIONS",
    "RegionalScores",
    "STATIC_ITEMS",
    "SYNKINESIS_ITEMS",
    "ZONES",
    "movement_feature_names",
    "regional_score_names",
    "regional_scores",
    "video_key_frames",
]
