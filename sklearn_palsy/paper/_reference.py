"""The reference model that ships inside the package, and loading it.

``sklearn-palsy predict IMAGES`` and ``assess`` need no model file: they use
a small model stored in ``sklearn_palsy/paper/models/``, one per landmark
backend, in the safe model format (:func:`~sklearn_palsy.save_model`, which
loads without running code from the file). Each model is

1. :class:`~sklearn_palsy.LandmarkDetector` (MediaPipe Face Mesh, or dlib
   where MediaPipe does not run),
2. :class:`~sklearn_palsy.ExpressionFeatures` with
   ``kinds=("symmetry", "lateral")``: the paper's 29 symmetry ratios and
   angles, and left-right comparisons of the clinical measures, all without
   units, so that they do not change when both sides of a face change alike
   (a broader smile, wider eyes, a closer camera) and carry over from one
   person to another far better than sizes do,
3. a :class:`~sklearn.preprocessing.StandardScaler`,
4. an :class:`~sklearn_palsy.FFNNClassifier` with the paper's learning rate
   and weight decay, which keep its probabilities calibrated.

This module owns finding the shipped files (:data:`REFERENCE_BACKENDS`),
:func:`load_reference_model` and :func:`reference_model_info`, and nothing
of training, so that loading the model imports neither the synthetic
cohort nor the training code. How the models are trained on synthetic faces
and measured on held-out ones is
:mod:`sklearn_palsy.paper._reference_training`'s. It is a research baseline
on synthetic faces, not a diagnostic.
"""

import importlib.resources
import json
import os
import warnings

from ..exceptions import ModelFileError
from ..utils._backends import LANDMARK_MODELS

__all__ = [
    "REFERENCE_BACKENDS",
    "load_reference_model",
    "reference_model_info",
]

#: The landmark backends with a shipped reference model: every landmark
#: model, the default first.
REFERENCE_BACKENDS = LANDMARK_MODELS


def _shipped(backend, suffix):
    """The shipped file of ``backend``'s (resolved) reference model, as a path."""
    resource = importlib.resources.files(__package__) / "models" / (
        f"reference_{backend}{suffix}")
    if not resource.is_file():
        raise ModelFileError(
            f"the reference model for the {backend} landmarks is not in this "
            f"installation ({resource}); train it with "
            "scripts/train_reference_model.py, or give a model file"
        )
    return resource


#: What a shipped record must hold to check its model file against, and of
#: what type.
_CHECKED_FIELDS = {"model": str, "backend": str, "content_sha256": str,
                   "file_bytes": int}

_DAMAGED = ("the installation was changed or damaged: reinstall sklearn-palsy, or "
            "train the models again with scripts/train_reference_model.py")


def _record(backend):
    """``backend``'s JSON record, checked to be the record of that backend's model.

    Returns the resolved backend, the record and the record's path.
    """
    from ..faces import resolve_backend

    backend = resolve_backend(backend)
    resource = _shipped(backend, ".json")
    try:
        record = json.loads(resource.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(
            f"the reference model's record {resource} is not valid JSON ({error}); "
            f"{_DAMAGED}"
        ) from None
    if not isinstance(record, dict):
        raise ModelFileError(
            f"the reference model's record {resource} is not a JSON object; {_DAMAGED}"
        )
    invalid = [key for key, kind in _CHECKED_FIELDS.items()
               if not isinstance(record.get(key), kind)
               or isinstance(record.get(key), bool)]
    if invalid:
        raise ModelFileError(
            f"the reference model's record {resource} lacks a valid "
            f"{', '.join(invalid)}; {_DAMAGED}"
        )
    expected = {"backend": backend, "model": f"reference_{backend}.safetensors"}
    for key, what in (("backend", "the backend"), ("model", "the model file")):
        if record[key] != expected[key]:
            raise ModelFileError(
                f"the reference model's record {resource} names {what} "
                f"{record[key]!r}, not {expected[key]!r}; {_DAMAGED}"
            )
    return backend, record, resource


def _check_against_record(path, model, record, record_path):
    """Refuse a loaded shipped model whose file or backend is not its record's.

    ``load_model`` has already checked the file's content against the
    checksum in its own metadata, so comparing that checksum with the
    record's compares the content.
    """
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as reader:
        checksum = (reader.metadata() or {}).get("sha256")
    size = os.path.getsize(path)
    landmarks = model[0] if hasattr(model, "steps") and model.steps else None
    used = getattr(landmarks, "backend_", None)
    differences = []
    if checksum != record["content_sha256"]:
        differences.append(f"its checksum {checksum} differs from the record's "
                           f"{record['content_sha256']}")
    if size != record["file_bytes"]:
        differences.append(f"it is {size} bytes, the record says "
                           f"{record['file_bytes']}")
    if used != record["backend"]:
        differences.append(f"its landmark step uses {used!r}, the record says "
                           f"{record['backend']!r}")
    if differences:
        raise ModelFileError(
            f"the shipped reference model {path} is not the one its record "
            f"{record_path} describes: {'; '.join(differences)}. A model file was "
            f"swapped or modified, and would be used under another name; {_DAMAGED}"
        )


def load_reference_model(backend="auto"):
    """Load the reference model shipped with the package.

    A small pipeline (landmarks, unitless symmetry features, scaling, a
    feed-forward network; about 22 kB) trained on synthetic faces only:
    a research baseline, not a diagnostic. It loads from the safe model
    format, which runs no code from the file.

    Parameters
    ----------
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        The landmark model. "auto" is MediaPipe Face Mesh where it runs
        here, else dlib (:func:`~sklearn_palsy.faces.resolve_backend`).

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Fitted; ``predict_proba`` takes image paths or arrays, and
        ``classes_`` is ``["control", "palsy"]``.

    Raises
    ------
    ModelFileError
        If the model is missing from this installation, was written by
        another major.minor version of sklearn-palsy, or is not the model
        its record (:func:`reference_model_info`) describes: another
        checksum or size, or a landmark step of another backend (a model
        file swapped or modified). The message names the file, the record
        and what differs.

    Notes
    -----
    Before it is returned, the model is checked against its record: the
    checksum in the file's metadata (which :func:`~sklearn_palsy.load_model`
    has checked against the file's content) must be the record's
    ``content_sha256``, its size the record's ``file_bytes``, and its
    landmark step's ``backend_`` the record's ``backend``, which must be the
    backend asked for. So a model file swapped for another backend's is
    refused rather than used under the other backend's name.

    The model's scikit-learn parts are a ``Pipeline`` and a
    ``StandardScaler``, whose fitted attributes are the same in every
    scikit-learn version the package supports, so the warning that
    :func:`~sklearn_palsy.load_model` gives for a file written with another
    scikit-learn is not shown for it.

    See Also
    --------
    reference_model_info : What the model was trained and measured on.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> from sklearn_palsy.paper import load_reference_model
    >>> model = load_reference_model("dlib")
    >>> model.classes_.tolist()
    ['control', 'palsy']
    >>> faces = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                               expressions=("smile",), random_state=0)
    >>> model.predict_proba(faces.images).shape
    (2, 2)
    """
    from ..io import load_model_file

    backend, record, record_path = _record(backend)
    resource = _shipped(backend, ".safetensors")
    with importlib.resources.as_file(resource) as path:
        with warnings.catch_warnings():
            # Its scikit-learn parts are a Pipeline (no fitted state) and a
            # StandardScaler, whose fitted attributes are the same in every
            # scikit-learn the package supports: another version's warning
            # would only alarm. Another sklearn-palsy's warning is kept.
            warnings.filterwarnings("ignore",
                                    message=".*was written with scikit-learn",
                                    category=UserWarning)
            model = load_model_file(path)
        _check_against_record(path, model, record, record_path)
    return model


def reference_model_info(backend="auto"):
    """What a shipped reference model was trained on, and its measured figures.

    Parameters
    ----------
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        As in :func:`load_reference_model`.

    Returns
    -------
    record : dict
        The model's JSON record: ``training`` (the settings, as
        :data:`REFERENCE_TRAINING`), ``training_cohort`` (seeds and
        counts), ``held_out`` (figures per held-out cohort, per image and
        per patient), ``environment`` (versions, platform, torch threads),
        ``training_seconds``, ``content_sha256`` (the model file's
        checksum, as :func:`~sklearn_palsy.save_model` computes it over
        its metadata and tensors) and ``note``.

    Raises
    ------
    ModelFileError
        If the record is missing, is not valid JSON, lacks one of ``model``,
        ``backend``, ``content_sha256`` and ``file_bytes``, or names another
        backend or model file than ``backend``'s (the message names the
        record).

    Examples
    --------
    >>> from sklearn_palsy.paper import reference_model_info
    >>> info = reference_model_info("dlib")
    >>> info["backend"], info["classes"]
    ('dlib', ['control', 'palsy'])
    """
    return _record(backend)[1]
