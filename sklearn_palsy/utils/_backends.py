"""The landmark models a ``backend`` parameter names, written once.

Every ``backend`` parameter of the package (the transformers, the clinical
estimators, the paper's pipelines and experiment, the reference model and
the command line) takes one of :data:`BACKENDS`, with ``"auto"`` as the
default: MediaPipe Face Mesh where it runs, else dlib
(:func:`~sklearn_palsy.faces.resolve_backend`). This module imports
nothing, so the command line reads it for ``--help`` without loading a
model.
"""

__all__ = ["BACKENDS", "LANDMARK_MODELS"]

#: The landmark models, the default's first choice first.
LANDMARK_MODELS = ("mediapipe", "dlib")

#: The values of every ``backend`` parameter: "auto" (the default) and the
#: landmark models.
BACKENDS = ("auto", *LANDMARK_MODELS)
