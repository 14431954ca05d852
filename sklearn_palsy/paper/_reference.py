"""The reference models that ship inside the package, and loading them.

``sklearn-palsy predict IMAGES`` and ``assess`` need no model file: they use
small models stored in ``sklearn_palsy/paper/models/``, two per landmark
backend, in the safe model format (:func:`~sklearn_palsy.save_model`, which
loads without running code from the file):

- the palsy model, palsy or a healthy face: a pipeline frozen behind a
  :class:`~sklearn.model_selection.FixedThresholdClassifier` that holds its
  operating threshold, chosen on held-out synthetic people for a stated
  specificity (the record keeps the threshold for a person's mean too);
- the type model, central or peripheral palsy.

Each pipeline is

1. :class:`~sklearn_palsy.LandmarkDetector` (MediaPipe Face Mesh, or dlib
   where MediaPipe does not run),
2. :class:`~sklearn_palsy.ExpressionFeatures` with
   ``kinds=("symmetry", "lateral", "clinical")``: the paper's symmetry
   ratios and angles, left-right comparisons of the clinical measures and
   the measures themselves in millimetres from the eye's size, none in
   pixels, chosen by how well they keep their ranking on other cohorts,
3. a :class:`~sklearn.preprocessing.StandardScaler`,
4. an :class:`~sklearn_palsy.FFNNClassifier` with the paper's learning rate
   and weight decay, which keep its probabilities calibrated.

This module owns finding the shipped files (:data:`REFERENCE_BACKENDS`),
:func:`load_reference_model`, :func:`reference_model_info` and
:func:`reference_pipeline`, and nothing of training, so that loading the
models imports neither the synthetic cohort nor the training code. How the
models are trained on synthetic faces and measured on held-out ones is
:mod:`sklearn_palsy.paper._reference_training`'s. They are a research
baseline on synthetic faces, not a diagnostic.
"""

import importlib.resources
import json
import os
import warnings

from ..exceptions import ModelFileError
from ..utils._backends import LANDMARK_MODELS

__all__ = [
    "REFERENCE_BACKENDS",
    "REFERENCE_TASKS",
    "load_reference_model",
    "reference_model_info",
    "reference_pipeline",
]

#: The landmark backends with a shipped reference model: every landmark
#: model, the default first.
REFERENCE_BACKENDS = LANDMARK_MODELS

#: What a shipped model answers: "palsy" (palsy or healthy, at the
#: threshold stored in it) and "type" (central or peripheral palsy).
REFERENCE_TASKS = ("palsy", "type")


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


def _type_record(backend, record, record_path):
    """The type model's part of ``backend``'s record, checked like the record."""
    part = record.get("type_model")
    expected = f"reference_{backend}_type.safetensors"
    if not isinstance(part, dict) or any(
        not isinstance(part.get(key), kind) or isinstance(part.get(key), bool)
        for key, kind in _CHECKED_FIELDS.items() if key != "backend"
    ) or part["model"] != expected:
        raise ModelFileError(
            f"the reference model's record {record_path} has no valid "
            f"type_model entry for {expected}; {_DAMAGED}"
        )
    return {**part, "backend": record["backend"]}


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
    try:
        landmarks = reference_pipeline(model)[0]
    except (TypeError, IndexError, AttributeError):
        landmarks = None
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


def reference_pipeline(model):
    """The pipeline of a reference model, whether thresholded or not.

    Parameters
    ----------
    model : FixedThresholdClassifier or Pipeline
        A reference palsy model (a frozen pipeline behind a fixed
        threshold) or type model (a pipeline).

    Returns
    -------
    pipeline : Pipeline
        ``landmarks -> features -> scale -> ffnn``.

    Examples
    --------
    >>> from sklearn_palsy.paper import load_reference_model
    >>> from sklearn_palsy.paper._reference_training import reference_pipeline
    >>> [name for name, _ in reference_pipeline(load_reference_model("dlib")).steps]
    ['landmarks', 'features', 'scale', 'ffnn']
    """
    from sklearn.frozen import FrozenEstimator

    while not hasattr(model, "steps"):
        inner = getattr(model, "estimator", None)
        if inner is None:
            raise TypeError(f"not a reference model: {type(model).__name__}")
        model = inner.estimator if isinstance(inner, FrozenEstimator) else inner
    return model


def load_reference_model(backend="auto", *, task="palsy"):
    """Load a reference model shipped with the package.

    A small pipeline (landmarks, unitless features, scaling, a feed-forward
    network; about 25 kB) trained on synthetic faces only: a research
    baseline, not a diagnostic. It loads from the safe model format, which
    runs no code from the file.

    Parameters
    ----------
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        The landmark model. "auto" is MediaPipe Face Mesh where it runs
        here, else dlib (:func:`~sklearn_palsy.faces.resolve_backend`).
    task : {"palsy", "type"}, default="palsy"
        "palsy": palsy or healthy, at the operating threshold chosen when
        it was trained (``reference_model_info()["threshold"]``: the
        threshold, the specificity it was chosen for and what it gave);
        "type": central or peripheral palsy, for photos of people with
        palsy.

    Returns
    -------
    model : FixedThresholdClassifier or Pipeline
        Fitted; ``predict_proba`` takes image paths or arrays. For "palsy",
        a :class:`~sklearn.model_selection.FixedThresholdClassifier` around
        the frozen pipeline, whose ``predict`` calls palsy from
        ``threshold`` on and whose ``classes_`` are ``["control",
        "palsy"]`` (:func:`reference_pipeline` gives the pipeline); for
        "type", the pipeline, with ``classes_`` ``["central",
        "peripheral"]``.

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
    >>> load_reference_model("dlib", task="type").classes_.tolist()
    ['central', 'peripheral']
    """
    from ..io import load_model_file

    if task not in REFERENCE_TASKS:
        raise ValueError(f"task must be one of {REFERENCE_TASKS}; got {task!r}")
    backend, record, record_path = _record(backend)
    if task == "type":
        record = _type_record(backend, record, record_path)
    resource = _shipped(backend, ".safetensors" if task == "palsy"
                        else "_type.safetensors")
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
        counts), ``threshold`` (the palsy model's threshold per photo, its
        ``patient`` threshold for a person's mean probability, the
        specificity they were chosen for, the cohort they were chosen on
        and what they gave there), ``type_model`` (the type model's file,
        checksum, size and classes), ``held_out`` (figures per held-out
        cohort, per image and
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
