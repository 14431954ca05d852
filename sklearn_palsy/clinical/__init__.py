"""What the clinic measures: regional scores, movement from rest, grades, patients.

Beyond the paper's palsy-or-not per photo: eFACE-style regional scores from
landmarks alone, movement of each side from the patient's rest photo,
ordinal grading (House-Brackmann and other ordered scales) and predictions
per patient from several photos.
"""

__all__ = []
