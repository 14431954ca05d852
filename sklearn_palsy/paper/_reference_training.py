"""Training the reference model, and measuring it on held-out synthetic people.

The shipped reference models (loaded by
:func:`~sklearn_palsy.paper.load_reference_model`, see
:mod:`sklearn_palsy.paper._reference`) are trained here, on a large
synthetic cohort only (:func:`make_synthetic_cohort
<sklearn_palsy.datasets.make_synthetic_cohort>`), rendered chunk by chunk so
that memory does not grow with the cohort, and measured on synthetic people
rendered with other seeds. This module owns the training settings
(:data:`REFERENCE_TRAINING`, :data:`REFERENCE_HELD_OUT`),
:func:`train_reference_model`, the held-out measurement
(:func:`evaluate_reference_model`) and :func:`build_reference_models`, which
writes the shipped files and their records;
``scripts/train_reference_model.py`` runs it. The same torch build and
thread count give the same bytes.
"""

import contextlib
import importlib.metadata
import inspect
import json
import numbers
import platform
import time
import warnings
from pathlib import Path

import numpy as np

from ..datasets._synthetic import EXPRESSIONS, PALSY_TYPES, make_synthetic_cohort
from ..utils._atomic import atomic_write
from ..utils._backends import BACKENDS
from ._defaults import FFNN_LR, FFNN_WEIGHT_DECAY
from ._reference import REFERENCE_BACKENDS, reference_pipeline

__all__ = [
    "MODERATE_SEVERITY",
    "REFERENCE_HELD_OUT",
    "REFERENCE_TRAINING",
    "build_reference_models",
    "evaluate_reference_model",
    "threshold_for_specificity",
    "train_reference_model",
]

#: How the shipped reference models were trained: the defaults of
#: :func:`train_reference_model` and of ``scripts/train_reference_model.py``,
#: written once here. Each model's JSON record repeats them.
REFERENCE_TRAINING = {
    # The cohort: people, photographs and the renderer's settings.
    "n_patients": 1000,
    "n_controls": 1000,
    "expressions": EXPRESSIONS,
    "n_repeats": 1,
    "image_size": 224,
    "severity_range": (0.1, 1.0),
    "palsy_types": PALSY_TYPES,
    "variety": "wide",
    "natural_asymmetry": True,
    "yaw": (-15.0, 15.0),
    "pitch": (-10.0, 10.0),
    # The model.
    "kinds": ("symmetry", "lateral", "clinical"),
    "hidden_layer_sizes": (32, 16),
    "dropout": 0.1,
    "epochs": 60,
    "batch_size": 64,
    "lr": FFNN_LR,
    "weight_decay": FFNN_WEIGHT_DECAY,
    # The operating threshold: chosen on people of their own (seed
    # ``tuning_random_state``, the held-out seed stream) so that this share
    # of their healthy faces' photos is called healthy.
    "specificity": 0.9,
    "tuning_people": 1000,
    "tuning_random_state": 3,
    # Reproducibility and memory.
    "random_state": 0,
    "n_threads": 1,
    "chunk_size": 100,
}

#: The held-out cohorts the shipped models are measured on: new people,
#: rendered from another seed (and another seed stream, so that no chunk of
#: them is ever a training chunk). ``"wide"`` is drawn as the training
#: cohort is; ``"standard"`` is the renderer's standard faces (frontal, as
#: the demo's), with the natural asymmetry of healthy faces. Settings not
#: given are the training cohort's.
REFERENCE_HELD_OUT = {
    "wide": {"n_patients": 250, "n_controls": 250, "random_state": 1},
    "standard": {
        "n_patients": 250, "n_controls": 250, "random_state": 2,
        "variety": "standard", "natural_asymmetry": True, "yaw": 0.0,
        "pitch": 0.0,
    },
}

# The labels of the shipped models: ``classes_[-1]`` is the positive class.
_LABELS = np.array(["control", "palsy"])
# Seed streams of the cohort chunks: training and held-out chunks never
# share a seed, whatever ``random_state`` each is given.
_TRAINING_STREAM, _HELD_OUT_STREAM = 0, 1
# The cohort's settings, as opposed to the model's.
_COHORT_KEYS = ("n_patients", "n_controls", "expressions", "n_repeats", "image_size",
                "severity_range", "palsy_types", "variety", "natural_asymmetry",
                "yaw", "pitch", "random_state", "chunk_size")
_RENDERER_DEFAULTS = {"variety": "standard", "natural_asymmetry": False, "yaw": 0.0,
                      "pitch": 0.0}
#: The severity from which a synthetic palsy counts as moderate to severe:
#: above 0.2 the renderer's House-Brackmann-like grade is III or worse
#: (``ceil(5 * severity) + 1``), "obvious but not disfiguring asymmetry"; at
#: or below it, grade II, "slight weakness".
MODERATE_SEVERITY = 0.2
# The classes of the type model.
_TYPE_LABELS = ("central", "peripheral")
_DISTRIBUTIONS = ("numpy", "scipy", "scikit-learn", "torch", "skorch",
                  "mediapipe", "dlib-bin", "opencv-python-headless", "pillow",
                  "safetensors")
_NOTE = ("A research baseline trained and measured on synthetic faces only; "
         "not a diagnostic, and not validated on photographs of people.")


# ---------------------------------------------------------------- the cohort
def _chunk_seed(random_state, stream, chunk):
    """The seed of one cohort chunk: SeedSequence([random_state, stream, chunk])."""
    sequence = np.random.SeedSequence([int(random_state), stream, chunk])
    return int(sequence.generate_state(1)[0])


def _renderer_options(variety, yaw, pitch, natural_asymmetry=False):
    """The renderer's options that this ``make_synthetic_cohort`` accepts.

    Returns the keyword arguments to pass and the settings actually used:
    an option the renderer does not accept falls back to what it always
    does (the standard faces, frontal), with a warning that says so.
    """
    accepted = inspect.signature(make_synthetic_cohort).parameters
    asked = {"variety": variety, "natural_asymmetry": natural_asymmetry, "yaw": yaw,
             "pitch": pitch}
    options, used = {}, {}
    for name, value in asked.items():
        if name in accepted:
            options[name] = value
            used[name] = value
            continue
        used[name] = _RENDERER_DEFAULTS[name]
        if value != _RENDERER_DEFAULTS[name]:
            warnings.warn(
                f"make_synthetic_cohort does not accept {name}= in this version, "
                f"so the cohort is rendered with the standard renderer's "
                f"{name}={_RENDERER_DEFAULTS[name]!r} instead of {value!r}; the "
                "record of the model says so",
                UserWarning, stacklevel=3,
            )
    return options, used


def _image_sizes(image_size):
    """The photographs' sizes, as a tuple: one size, or several in turn."""
    sizes = (image_size,) if isinstance(image_size, numbers.Integral) else image_size
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = ()
    if not sizes or not all(isinstance(size, numbers.Integral)
                            and not isinstance(size, bool) and size >= 32
                            for size in sizes):
        raise ValueError("image_size must be an integer >= 32 or a non-empty "
                         f"sequence of them; got {image_size!r}")
    return tuple(int(size) for size in sizes)


def _cohort_chunks(*, n_patients, n_controls, chunk_size, random_state, stream,
                   options):
    """Yield ``(chunk, seed, cohort)``: the cohort, a few people at a time.

    Patients and controls are spread evenly over the chunks; each chunk is
    one call of ``make_synthetic_cohort`` with its own seed, and its patient
    ids are made unique across chunks (``"c0003-P01"``). An ``image_size``
    that is a tuple of sizes gives the chunks each size in turn (chunk
    ``k`` the size ``k % len(sizes)``), so that a cohort holds photographs
    of several sizes, each person's all of one.
    """
    sizes = _image_sizes(options.get("image_size", 224))
    n_chunks = max(1, -(-(n_patients + n_controls) // chunk_size))
    patients = np.array_split(np.arange(n_patients), n_chunks)
    controls = np.array_split(np.arange(n_controls), n_chunks)
    for chunk, (chunk_patients, chunk_controls) in enumerate(
        zip(patients, controls, strict=True)
    ):
        if len(chunk_patients) + len(chunk_controls) == 0:
            continue
        seed = _chunk_seed(random_state, stream, chunk)
        cohort = make_synthetic_cohort(
            n_patients=len(chunk_patients), n_controls=len(chunk_controls),
            random_state=seed, **{**options, "image_size": sizes[chunk % len(sizes)]},
        )
        cohort.groups = np.array(
            [f"c{chunk:04d}-{group}" for group in cohort.groups], dtype=object
        )
        yield chunk, seed, cohort


def _landmarks(extractor, images):
    """Landmarks of the images, and a mask of those with a face."""
    from ..preprocessing._face import NoFaceFallbackWarning

    with warnings.catch_warnings():
        # Counted and recorded instead: a few renders may hide the face.
        warnings.simplefilter("ignore", NoFaceFallbackWarning)
        landmarks = extractor.transform(images)
    return landmarks, ~np.isnan(landmarks).any(axis=(1, 2))


def _cohort_features(detector, features, cohort_params, stream, verbose):
    """Features of a synthetic cohort, rendered and analysed chunk by chunk.

    Only the features are kept: each chunk's images are dropped once their
    landmarks are found, and the face cache is off, so memory stays bounded
    whatever the cohort's size. ``detector`` and ``features`` are fitted on
    the first chunk when they are not yet.
    """
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from ..faces import no_face_cache

    params = dict(cohort_params)
    options, used = _renderer_options(
        params.pop("variety"), params.pop("yaw"), params.pop("pitch"),
        params.pop("natural_asymmetry"),
    )
    for name in ("expressions", "image_size", "n_repeats", "severity_range",
                 "palsy_types"):
        options[name] = params.pop(name)
    blocks, labels, groups, palsy_type, severity = [], [], [], [], []
    n_images = n_missing = 0
    started = time.perf_counter()
    with no_face_cache():
        for chunk, _, cohort in _cohort_chunks(
            n_patients=params["n_patients"], n_controls=params["n_controls"],
            chunk_size=params["chunk_size"], random_state=params["random_state"],
            stream=stream, options=options,
        ):
            if not hasattr(detector, "backend_"):
                detector.fit(cohort.X[:1])
            extractor = clone(detector).set_params(
                on_missing="nan", backend=detector.backend_).fit(cohort.X[:1])
            landmarks, found = _landmarks(extractor, cohort.X)
            try:
                check_is_fitted(features)
            except NotFittedError:
                features.fit(landmarks[found])
            blocks.append(features.transform(landmarks[found]))
            labels.append(cohort.y[found])
            groups.append(cohort.groups[found])
            palsy_type.append(cohort.palsy_type[found])
            severity.append(cohort.severity[found])
            n_images += len(found)
            n_missing += int((~found).sum())
            if verbose:
                print(f"  chunk {chunk}: {n_images} images, {n_missing} without a "
                      f"face, {time.perf_counter() - started:.0f} s", flush=True)
    return {
        "X": np.vstack(blocks),
        "y": _LABELS[np.concatenate(labels)],
        "groups": np.concatenate(groups),
        "palsy_type": np.concatenate(palsy_type),
        "severity": np.concatenate(severity),
        "n_images": n_images,
        "n_images_without_face": n_missing,
        "renderer": used,
    }


# ---------------------------------------------------------------- training
@contextlib.contextmanager
def _reproducible_torch(n_threads, seed):
    """Torch with ``n_threads`` threads, deterministic algorithms and a seed.

    The caller's thread count, deterministic-algorithms flag and random
    state are restored afterwards.
    """
    import torch

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(n_threads)
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _compact_history(ffnn):
    """Keep one entry per epoch (its number and losses) in the net's history.

    Per-batch entries would make the file megabytes, and the durations
    would make two identical trainings two different files.
    """
    from skorch.history import History

    kept = ("epoch", "train_loss", "valid_loss")
    ffnn.net_.history = History([
        {key: epoch[key] for key in kept if key in epoch}
        for epoch in ffnn.net_.history
    ])


def _check_training(backend, params):
    from ..faces import resolve_backend

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    for name in ("n_patients", "n_controls", "epochs", "batch_size", "n_threads",
                 "chunk_size", "n_repeats", "tuning_people"):
        value = params[name]
        low = 0 if name in ("n_patients", "n_controls") else 1
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or (
            value < low
        ):
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    if min(params["n_patients"], params["n_controls"]) < 1:
        raise ValueError("the training cohort needs at least one patient and one "
                         f"control; got n_patients={params['n_patients']}, "
                         f"n_controls={params['n_controls']}")
    _image_sizes(params["image_size"])
    for name in ("random_state", "tuning_random_state"):
        if not isinstance(params[name], numbers.Integral):
            raise ValueError(f"{name} must be an int, so that the model can be "
                             f"trained again; got {params[name]!r}")
    return resolve_backend(backend)


def threshold_for_specificity(control_proba, specificity):
    """The lowest threshold that calls a share ``specificity`` of controls healthy.

    A photo is called palsy when its probability reaches the threshold.
    The threshold lies halfway between the ``k``-th and ``k + 1``-th lowest
    control probabilities, ``k = ceil(specificity * n)`` (at most ``n - 1``),
    so that ``k`` controls (at least that share, given ten controls or more
    for a specificity of 0.9) fall below it and the rest reach it.

    Parameters
    ----------
    control_proba : array-like of shape (n_controls,)
        The probabilities of palsy of healthy people's photos.
    specificity : float
        The share of them to call healthy, in (0, 1).

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> from sklearn_palsy.paper._reference_training import threshold_for_specificity
    >>> threshold_for_specificity([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
    ...                           0.8)
    0.85
    """
    proba = np.sort(np.asarray(control_proba, dtype=float))
    if not 0 < specificity < 1:
        raise ValueError(f"specificity must lie in (0, 1); got {specificity!r}")
    if proba.size < 2 or not np.isfinite(proba).all():
        raise ValueError("the threshold needs at least two finite control "
                         f"probabilities; got {proba.size}")
    below = min(int(np.ceil(specificity * proba.size)), proba.size - 1)
    return round(float((proba[below - 1] + proba[below]) / 2), 6)


def _tuning_params(params):
    """The cohort the threshold is chosen on: the training cohort's settings,
    its own people (``tuning_people`` of each kind, seed
    ``tuning_random_state`` on the held-out stream)."""
    cohort = {key: params[key] for key in _COHORT_KEYS}
    cohort.update(n_patients=params["tuning_people"],
                  n_controls=params["tuning_people"],
                  random_state=params["tuning_random_state"])
    return cohort


def _fit_network(X, y, params):
    """A feed-forward network fitted reproducibly, with one entry per epoch."""
    from ..neural._ffnn import FFNNClassifier

    ffnn = FFNNClassifier(
        hidden_layer_sizes=tuple(params["hidden_layer_sizes"]),
        dropout=params["dropout"], lr=params["lr"],
        weight_decay=params["weight_decay"], max_epochs=params["epochs"],
        batch_size=params["batch_size"], random_state=params["random_state"],
    )
    with _reproducible_torch(params["n_threads"], params["random_state"]):
        ffnn.fit(X, y)
    _compact_history(ffnn)
    return ffnn


def _train(backend, params, verbose):
    """The fitted models and what their training cohort turned out to be.

    Returns the palsy model (the pipeline behind a
    :class:`~sklearn.model_selection.FixedThresholdClassifier` whose
    threshold gives ``specificity`` on the tuning cohort), the type model
    (central or peripheral, trained on the same cohort's patients) and the
    facts of the record.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from ..preprocessing._face import LandmarkDetector
    from ..preprocessing._features import ExpressionFeatures

    backend = _check_training(backend, params)
    if not 0 < params["specificity"] < 1:
        raise ValueError("specificity must lie in (0, 1); got "
                         f"{params['specificity']!r}")
    detector = LandmarkDetector(backend=backend)
    features = ExpressionFeatures(kinds=tuple(params["kinds"]))
    cohort = _cohort_features(
        detector, features, {key: params[key] for key in _COHORT_KEYS},
        _TRAINING_STREAM, verbose,
    )
    started = time.perf_counter()
    scaler = StandardScaler().fit(cohort["X"])
    ffnn = _fit_network(scaler.transform(cohort["X"]), cohort["y"], params)
    pipeline = Pipeline([
        ("landmarks", detector),
        ("features", features),
        ("scale", scaler),
        ("ffnn", ffnn),
    ])
    patients = cohort["palsy_type"] != "none"
    types = sorted(set(cohort["palsy_type"][patients]))
    if types != list(_TYPE_LABELS):
        raise ValueError("the type model needs patients with central and with "
                         f"peripheral palsy; the training cohort has {types}")
    type_scaler = StandardScaler().fit(cohort["X"][patients])
    type_ffnn = _fit_network(type_scaler.transform(cohort["X"][patients]),
                             cohort["palsy_type"][patients], params)
    type_model = Pipeline([
        ("landmarks", detector),
        ("features", features),
        ("scale", type_scaler),
        ("ffnn", type_ffnn),
    ])
    if verbose:
        print(f"  networks: {ffnn.n_epochs_} epochs on {len(cohort['y'])} images, "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        print("  the threshold's cohort:", flush=True)
    tuning = _cohort_features(detector, features, _tuning_params(params),
                              _HELD_OUT_STREAM, verbose)
    proba = pipeline[2:].predict_proba(tuning["X"])[:, -1]
    threshold = threshold_for_specificity(proba[tuning["y"] == _LABELS[0]],
                                          params["specificity"])
    model = FixedThresholdClassifier(FrozenEstimator(pipeline), threshold=threshold,
                                     response_method="predict_proba")
    # The pipeline is frozen, so fitting refits nothing: it checks that the
    # labels are binary and takes the classes from the pipeline.
    model.fit(tuning["X"], tuning["y"])
    chosen = _at_threshold(tuning["y"], proba, tuning["severity"], threshold)
    # A person's probability is the mean of their photos': less spread than
    # one photo's, so a threshold of its own gives the same specificity.
    people = _per_person(tuning["y"], proba, tuning["severity"], tuning["groups"])
    patient_threshold = threshold_for_specificity(
        people["proba"][people["y"] == _LABELS[0]], params["specificity"])
    chosen_people = _at_threshold(people["y"], people["proba"], people["severity"],
                                  patient_threshold)
    facts = {key: cohort[key] for key in ("n_images", "n_images_without_face")}
    facts["n_people"] = int(len(np.unique(cohort["groups"])))
    facts["renderer"] = cohort["renderer"]
    facts["final_train_loss"] = float(ffnn.net_.history[-1, "train_loss"])
    facts["type_final_train_loss"] = float(type_ffnn.net_.history[-1, "train_loss"])
    kept = ("specificity", "recall", "recall_moderate_to_severe")
    facts["threshold"] = {
        "value": threshold,
        "specificity_target": params["specificity"],
        "chosen_on": {
            **_jsonable(_tuning_params(params)),
            "seed_stream": _HELD_OUT_STREAM,
            "n_images": tuning["n_images"],
            "n_images_without_face": tuning["n_images_without_face"],
        },
        **{name: chosen[name] for name in kept},
        "patient": {
            "value": patient_threshold,
            "note": "for a person's mean probability over their photos "
                    "(assess), chosen on the same people",
            **{name: chosen_people[name] for name in kept},
        },
    }
    return model, type_model, facts


def train_reference_model(
    *,
    backend="mediapipe",
    n_patients=REFERENCE_TRAINING["n_patients"],
    n_controls=REFERENCE_TRAINING["n_controls"],
    expressions=REFERENCE_TRAINING["expressions"],
    n_repeats=REFERENCE_TRAINING["n_repeats"],
    image_size=REFERENCE_TRAINING["image_size"],
    severity_range=REFERENCE_TRAINING["severity_range"],
    palsy_types=REFERENCE_TRAINING["palsy_types"],
    variety=REFERENCE_TRAINING["variety"],
    natural_asymmetry=REFERENCE_TRAINING["natural_asymmetry"],
    yaw=REFERENCE_TRAINING["yaw"],
    pitch=REFERENCE_TRAINING["pitch"],
    kinds=REFERENCE_TRAINING["kinds"],
    hidden_layer_sizes=REFERENCE_TRAINING["hidden_layer_sizes"],
    dropout=REFERENCE_TRAINING["dropout"],
    epochs=REFERENCE_TRAINING["epochs"],
    batch_size=REFERENCE_TRAINING["batch_size"],
    lr=REFERENCE_TRAINING["lr"],
    weight_decay=REFERENCE_TRAINING["weight_decay"],
    specificity=REFERENCE_TRAINING["specificity"],
    tuning_people=REFERENCE_TRAINING["tuning_people"],
    tuning_random_state=REFERENCE_TRAINING["tuning_random_state"],
    random_state=REFERENCE_TRAINING["random_state"],
    n_threads=REFERENCE_TRAINING["n_threads"],
    chunk_size=REFERENCE_TRAINING["chunk_size"],
    task="palsy",
    verbose=0,
):
    """Train the reference model on a synthetic cohort, reproducibly.

    The cohort is rendered and analysed ``chunk_size`` people at a time
    (chunk ``i`` is :func:`~sklearn_palsy.datasets.make_synthetic_cohort`
    with seed ``SeedSequence([random_state, 0, i])``), keeping only the
    features, so that memory stays bounded. The network is trained with
    ``n_threads`` torch threads, deterministic algorithms and the seed
    ``random_state``: the same arguments, torch build and thread count give
    the same model, bit for bit.

    Parameters
    ----------
    backend : {"mediapipe", "dlib", "auto"}, default="mediapipe"
        Landmark model of the pipeline, used in training and kept for
        prediction.
    n_patients, n_controls : int, default=1000
        People with palsy (label ``"palsy"``) and without (``"control"``).
    expressions : tuple of str, default=all five
        Expressions photographed, from
        ``("rest", "smile", "raise_eyebrows", "close_eyes", "pucker")``.
    n_repeats : int, default=1
        Photographs per person and expression.
    image_size : int or tuple of int, default=224
        Side of the rendered images in pixels. Several sizes are given to
        the cohort's chunks of ``chunk_size`` people in turn (with two,
        half the people are photographed at each), for a model that sees
        faces of several sizes; add ``"face_size"`` to ``kinds`` with them
        (see the reference model's page on small and large faces).
    severity_range : tuple of float, default=(0.1, 1.0)
        Range of the patients' palsy severity: from mild palsy (grade II,
        "slight weakness", up to 0.2), so that the boundary is learned where
        it is hard, to total paralysis.
    palsy_types : tuple of str, default=("peripheral", "central")
        Types of palsy, drawn uniformly per patient.
    variety : {"wide", "standard"}, default="wide"
        How widely the renderer varies faces, lighting and camera, where
        ``make_synthetic_cohort`` accepts ``variety=``; otherwise the
        standard renderer is used, with a warning.
    natural_asymmetry : bool, default=True
        Give every face, controls included, the asymmetry of healthy faces
        (:func:`~sklearn_palsy.datasets.make_synthetic_cohort`).
    yaw, pitch : float or tuple of float, default=(-15, 15) and (-10, 10)
        Head-pose angles in degrees (a range is drawn uniformly per image),
        where ``make_synthetic_cohort`` accepts them; otherwise the faces
        are frontal, with a warning.
    kinds : tuple of str, default=("symmetry", "lateral", "clinical")
        Feature families of :class:`~sklearn_palsy.ExpressionFeatures`,
        chosen by how well they keep their ranking from one synthetic
        cohort to another (``benchmarks/feature_transfer.py``): the
        clinical measures, in millimetres from the eye's own size, transfer
        best; sizes in pixels would not.
    hidden_layer_sizes : tuple of int, default=(32, 16)
        The network's hidden layers.
    dropout : float, default=0.1
        Dropout after each hidden layer.
    epochs : int, default=60
        Passes over the training images.
    batch_size : int, default=64
        Mini-batch size.
    lr : float, default=1e-2
        Adam's learning rate (:data:`~sklearn_palsy.paper.FFNN_LR`).
    weight_decay : float, default=1e-2
        Adam's weight decay (:data:`~sklearn_palsy.paper.FFNN_WEIGHT_DECAY`),
        which keeps the probabilities away from exactly 0 and 1.
    specificity : float, default=0.9
        The share of healthy faces' photos that the operating threshold
        calls healthy, on a tuning cohort of its own.
    tuning_people : int, default=1000
        Patients and controls of the tuning cohort, drawn as the training
        cohort is, from the held-out seed stream. The threshold is a
        quantile of the tuning controls' probabilities, so its specificity
        on new people wanders by about ``sqrt(0.09 / tuning_people)``
        (0.019 with 250 controls, 0.0095 with 1,000).
    tuning_random_state : int, default=3
        Seed of the tuning cohort; the held-out cohorts of
        :data:`REFERENCE_HELD_OUT` use other seeds.
    random_state : int, default=0
        Seed of the cohort's chunks and of the network.
    n_threads : int, default=1
        Torch threads while training (restored afterwards); the same count
        is needed to reproduce the model exactly.
    chunk_size : int, default=100
        People rendered at a time.
    task : {"palsy", "type"}, default="palsy"
        The model returned: "palsy" tells palsy from healthy faces; "type"
        tells central from peripheral palsy, trained on the same cohort's
        patients. Both are trained either way.
    verbose : int, default=0
        Print progress per chunk when positive.

    Returns
    -------
    model : FixedThresholdClassifier or Pipeline
        Fitted ``LandmarkDetector -> ExpressionFeatures -> StandardScaler ->
        FFNNClassifier``, which takes image paths or arrays. For "palsy",
        frozen behind a :class:`~sklearn.model_selection.FixedThresholdClassifier`
        whose ``threshold`` gives ``specificity`` on the tuning cohort
        (``predict`` uses it; ``predict_proba`` is the pipeline's), with
        ``classes_`` ``["control", "palsy"]``; for "type", the pipeline,
        with ``classes_`` ``["central", "peripheral"]``.

    See Also
    --------
    build_reference_models : Train, measure and save the shipped models.
    load_reference_model : The shipped model.

    Examples
    --------
    >>> from sklearn_palsy.paper import train_reference_model
    >>> model = train_reference_model(backend="dlib", n_patients=5, n_controls=4,
    ...                               expressions=("rest", "smile"),
    ...                               image_size=128, epochs=2, tuning_people=4)
    >>> model.classes_.tolist()
    ['control', 'palsy']
    >>> 0 < model.threshold < 1
    True
    """
    if task not in ("palsy", "type"):
        raise ValueError(f"task must be 'palsy' or 'type'; got {task!r}")
    params = {key: value for key, value in locals().items()
              if key not in ("backend", "verbose", "task")}
    model, type_model, _ = _train(backend, params, verbose)
    return model if task == "palsy" else type_model


# ---------------------------------------------------------------- measuring
def _at_threshold(y_true, proba, severity, threshold):
    """The palsy model's figures at ``threshold`` (a photo or person is called
    palsy when its probability reaches it), and those without a threshold."""
    from ..model_selection._calibration import calibration_slope_intercept
    from ..model_selection._scoring import _scores

    proba = np.asarray(proba, dtype=float)
    positive = np.asarray(y_true) == _LABELS[1]
    moderate = positive & (np.asarray(severity) > MODERATE_SEVERITY)
    scores = _scores(y_true, proba, _LABELS[1], threshold)
    slope, intercept = calibration_slope_intercept(positive, proba, pos_label=True)
    figures = {
        **{name: scores[name] for name in (
            "balanced_accuracy", "roc_auc", "recall")},
        "recall_moderate_to_severe": np.mean(proba[moderate] >= threshold)
        if moderate.any() else np.nan,
        **{name: scores[name] for name in (
            "specificity", "precision", "f1", "brier")},
        "calibration_slope": slope,
        "calibration_intercept": intercept,
    }
    return {name: round(float(value), 4) for name, value in figures.items()}


#: The figures that get a patient-bootstrap interval in a model's record.
_INTERVAL_METRICS = ("specificity", "recall", "recall_moderate_to_severe",
                     "balanced_accuracy", "roc_auc", "brier")


def _bootstrap_intervals(y_true, proba, severity, groups, threshold, *,
                         n_resamples=1000, random_state=0):
    """95 % percentile intervals of :data:`_INTERVAL_METRICS`, resampling people.

    Each resample draws the people with replacement, each with all their
    photos; resamples without both classes are left out.
    """
    from sklearn.metrics import roc_auc_score

    people, index = np.unique(groups, return_inverse=True)
    rows = [np.flatnonzero(index == person) for person in range(len(people))]
    positive = np.asarray(y_true) == _LABELS[1]
    called = np.asarray(proba) >= threshold
    moderate = positive & (np.asarray(severity) > MODERATE_SEVERITY)
    error = (np.asarray(proba) - positive) ** 2
    rng = np.random.default_rng(random_state)
    values = []
    for _ in range(n_resamples):
        drawn = np.concatenate([rows[i] for i in rng.integers(len(people),
                                                               size=len(people))])
        truth = positive[drawn]
        if truth.all() or not truth.any():
            continue
        recall = called[drawn][truth].mean()
        specificity = (~called[drawn][~truth]).mean()
        values.append((
            specificity, recall,
            called[drawn][moderate[drawn]].mean() if moderate[drawn].any() else np.nan,
            (recall + specificity) / 2,
            roc_auc_score(truth, np.asarray(proba)[drawn]),
            error[drawn].mean(),
        ))
    low, high = np.nanpercentile(np.array(values), [2.5, 97.5], axis=0)
    return {name: [round(float(a), 4), round(float(b), 4)]
            for name, a, b in zip(_INTERVAL_METRICS, low, high, strict=True)}


def _per_person(y_true, proba, severity, groups):
    """Each person's label, mean probability and severity, in sorted order."""
    import pandas as pd

    from ..utils._patients import pool_by_patient

    photos = pd.DataFrame({"patient_id": groups, "y": y_true, "proba": proba,
                           "severity": severity})
    people = pool_by_patient(photos, ["proba", "severity"], first=["y"]).sort_values(
        "patient_id", kind="stable")
    return {
        "people": people["patient_id"].to_numpy(),
        **{name: people[name].to_numpy() for name in ("y", "proba", "severity")},
    }


def _figures(y_true, proba, severity, groups, threshold, patient_threshold):
    """Figures per image and per patient (each patient's mean probability), at
    the thresholds, with their patient-bootstrap intervals."""
    frame = {"y": np.asarray(y_true), "proba": np.asarray(proba, dtype=float),
             "severity": np.asarray(severity, dtype=float)}
    patient = _per_person(y_true, proba, severity, groups)
    figures = {"threshold": threshold, "patient_threshold": patient_threshold}
    for level, values, level_groups, cut in (
        ("image", frame, groups, threshold),
        ("patient", patient, patient["people"], patient_threshold),
    ):
        figures[level] = _at_threshold(values["y"], values["proba"],
                                       values["severity"], cut)
        figures[level]["intervals"] = _bootstrap_intervals(
            values["y"], values["proba"], values["severity"], level_groups, cut)
    return figures


def _type_figures(true_type, proba, severity, groups):
    """The type model's balanced accuracy on patients, per image and per patient.

    ``proba`` is each photo's probability of the second class
    (:data:`_TYPE_LABELS`); a patient's type is the class of their photos'
    mean probability, as ``sklearn-palsy assess`` pools it.
    """
    import pandas as pd
    from sklearn.metrics import balanced_accuracy_score

    from ..utils._patients import pool_by_patient

    labels = np.asarray(_TYPE_LABELS, dtype=object)
    true_type = np.asarray(true_type, dtype=object)
    proba = np.asarray(proba, dtype=float)
    moderate = np.asarray(severity) > MODERATE_SEVERITY
    photos = pd.DataFrame({"patient_id": groups, "proba": proba, "truth": true_type,
                           "moderate": moderate})
    people = pool_by_patient(photos, ["proba"], first=["truth", "moderate"])
    # The class of the larger probability; a tie is the first class, as
    # argmax breaks it.
    predicted = labels[(proba > 0.5).astype(int)]
    patient_type = labels[(people["proba"].to_numpy() > 0.5).astype(int)]
    patient_truth = people["truth"].to_numpy()
    patient_moderate = people["moderate"].to_numpy(dtype=bool)

    def rounded(truth, guess):
        return round(float(balanced_accuracy_score(truth, guess)), 4)

    return {
        "image": {
            "balanced_accuracy": rounded(true_type, predicted),
            "balanced_accuracy_moderate_to_severe": rounded(
                true_type[moderate], predicted[moderate]),
        },
        "patient": {
            "balanced_accuracy": rounded(patient_truth, patient_type),
            "balanced_accuracy_moderate_to_severe": rounded(
                patient_truth[patient_moderate], patient_type[patient_moderate]),
        },
    }


def evaluate_reference_model(
    model,
    *,
    type_model=None,
    patient_threshold=None,
    n_patients=REFERENCE_HELD_OUT["wide"]["n_patients"],
    n_controls=REFERENCE_HELD_OUT["wide"]["n_controls"],
    random_state=REFERENCE_HELD_OUT["wide"]["random_state"],
    verbose=0,
    **cohort_params,
):
    """Measure a reference model on synthetic people it has never seen.

    The held-out cohort is rendered chunk by chunk from seeds
    ``SeedSequence([random_state, 1, i])``, a stream that training never
    uses, so its people and photographs are new to any model trained by
    :func:`train_reference_model`. Images without a detected face are
    counted and left out.

    Parameters
    ----------
    model : FixedThresholdClassifier or Pipeline
        The palsy model, from :func:`train_reference_model` or
        :func:`load_reference_model`; a pipeline without a threshold is
        measured at 0.5.
    type_model : Pipeline, default=None
        The type model (``task="type"``), measured on the cohort's patients
        too when given.
    patient_threshold : float, default=None
        The threshold of a person's mean probability; None is the photos'
        (the shipped record's ``threshold["patient"]["value"]`` is chosen
        for people).
    n_patients, n_controls : int, default=250
        Held-out people with and without palsy.
    random_state : int, default=1
        Seed of the held-out cohort.
    verbose : int, default=0
        Print progress per chunk when positive.
    **cohort_params
        Other settings of the cohort (``expressions``, ``n_repeats``,
        ``image_size``, ``severity_range``, ``palsy_types``, ``variety``,
        ``natural_asymmetry``, ``yaw``, ``pitch``, ``chunk_size``); by
        default those of :data:`REFERENCE_TRAINING`.

    Returns
    -------
    figures : dict
        ``threshold`` and ``patient_threshold``; ``image`` and ``patient``
        (a patient's probability is the mean of their photos'): at the
        threshold of that level,
        balanced accuracy, recall, ``recall_moderate_to_severe`` (of
        patients whose severity exceeds :data:`MODERATE_SEVERITY`, grade III
        or worse), specificity, precision and F1; without it, ROC AUC,
        Brier score and the calibration slope and intercept
        (:func:`~sklearn_palsy.model_selection.calibration_slope_intercept`);
        and ``intervals``, 95 % patient-bootstrap intervals of specificity,
        recall, ``recall_moderate_to_severe``, balanced accuracy, ROC AUC
        and Brier score (1000 resamples); ``recall_by_type``: the
        image-level recall of peripheral and of central palsy at the
        threshold; ``type`` (with ``type_model``): its balanced accuracy
        between central and peripheral palsy on the patients, per image and
        per patient (their photos' mean probability), all and moderate to
        severe;
        ``cohort``: the settings and counts (``n_images``,
        ``n_images_without_face``, ``n_people``, ``renderer``, the renderer
        settings actually used).

    Examples
    --------
    >>> from sklearn_palsy.paper import (evaluate_reference_model,
    ...                                  load_reference_model)
    >>> figures = evaluate_reference_model(load_reference_model(),
    ...                                    n_patients=2, n_controls=2,
    ...                                    image_size=128)
    >>> sorted(figures["image"])[:3]
    ['balanced_accuracy', 'brier', 'calibration_intercept']
    >>> figures["threshold"] == load_reference_model().threshold
    True
    """
    unknown = sorted(set(cohort_params) - set(_COHORT_KEYS))
    if unknown:
        raise TypeError(f"unknown cohort settings {unknown}; choose from "
                        f"{sorted(_COHORT_KEYS)}")
    if min(n_patients, n_controls) < 1:
        raise ValueError("the held-out cohort needs at least one patient and one "
                         f"control; got n_patients={n_patients}, "
                         f"n_controls={n_controls}")
    params = {key: REFERENCE_TRAINING[key] for key in _COHORT_KEYS}
    params.update(cohort_params, n_patients=n_patients, n_controls=n_controls,
                  random_state=random_state)
    pipeline = reference_pipeline(model)
    if type_model is not None:
        type_pipeline = reference_pipeline(type_model)
        if list(type_pipeline.classes_) != list(_TYPE_LABELS):
            raise ValueError(f"the type model's classes must be {list(_TYPE_LABELS)}; "
                             f"got {list(type_pipeline.classes_)}")
    threshold = float(getattr(model, "threshold", 0.5))
    if patient_threshold is None:
        patient_threshold = threshold
    detector, features = pipeline[0], pipeline[1]
    cohort = _cohort_features(detector, features, params, _HELD_OUT_STREAM, verbose)
    # The features are computed: the rest of the pipeline takes them.
    proba = pipeline[2:].predict_proba(cohort["X"])[:, -1]
    figures = _figures(cohort["y"], proba, cohort["severity"], cohort["groups"],
                       threshold, patient_threshold)
    positive = proba >= threshold
    figures["recall_by_type"] = {
        kind: round(float(positive[cohort["palsy_type"] == kind].mean()), 4)
        for kind in PALSY_TYPES if (cohort["palsy_type"] == kind).any()
    }
    if type_model is not None:
        patients = cohort["palsy_type"] != "none"
        type_proba = type_pipeline[2:].predict_proba(cohort["X"][patients])[:, 1]
        figures["type"] = _type_figures(
            cohort["palsy_type"][patients], type_proba,
            cohort["severity"][patients], cohort["groups"][patients])
    figures["cohort"] = {
        **{key: _jsonable(params[key]) for key in _COHORT_KEYS},
        "seed_stream": _HELD_OUT_STREAM,
        "n_images": cohort["n_images"],
        "n_images_without_face": cohort["n_images_without_face"],
        "n_people": int(len(np.unique(cohort["groups"]))),
        "renderer": cohort["renderer"],
    }
    return figures


# ---------------------------------------------------------------- the files
def _jsonable(value):
    """Tuples as lists, numpy scalars as Python numbers, recursively."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def _environment(n_threads):
    versions = {}
    for name in _DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    from .. import __version__

    return {
        # The tree's version, whether it is installed or not.
        "versions": {"sklearn-palsy": __version__, **versions},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "torch_threads": n_threads,
    }


def _content_sha256(path):
    """The safe format's checksum of a model file: of its content, not its bytes.

    It covers the metadata (sorted) and every tensor, so two files that hold
    the same model have the same checksum even though safetensors writes the
    header's metadata in no fixed order.
    """
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as reader:
        return reader.metadata()["sha256"]


def build_reference_models(
    output_dir,
    *,
    backends=REFERENCE_BACKENDS,
    held_out=None,
    verbose=0,
    **params,
):
    """Train, measure and save the reference models, one per landmark backend.

    For each backend this writes ``reference_<backend>.safetensors`` (the
    model, in the safe format) and ``reference_<backend>.json`` (its
    record: what it was trained on, the seeds, versions, thread count,
    training time, the checksum of the file's content and its held-out
    figures). This is
    what ``scripts/train_reference_model.py`` runs.

    Parameters
    ----------
    output_dir : str or path-like
        Folder of the files; ``sklearn_palsy/paper/models`` for the shipped
        ones.
    backends : tuple of str, default=("mediapipe", "dlib")
        Landmark backends to train a model for.
    held_out : dict of str to dict, default=None
        Named held-out cohorts, each a dict of
        :func:`evaluate_reference_model`'s settings; None is
        :data:`REFERENCE_HELD_OUT`, ``{}`` measures nothing.
    verbose : int, default=0
        Print progress when positive.
    **params
        Settings of :func:`train_reference_model` that differ from
        :data:`REFERENCE_TRAINING`.

    Returns
    -------
    records : dict of str to dict
        The JSON record of each backend's model.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_palsy.paper import build_reference_models
    >>> records = build_reference_models(
    ...     tempfile.mkdtemp(), backends=("dlib",), held_out={}, n_patients=5,
    ...     n_controls=4, expressions=("rest", "smile"), image_size=128, epochs=2,
    ...     tuning_people=4)
    >>> records["dlib"]["training"]["epochs"]
    2
    """
    unknown = sorted(set(params) - set(REFERENCE_TRAINING))
    if unknown:
        raise TypeError(f"unknown training settings {unknown}; choose from "
                        f"{sorted(REFERENCE_TRAINING)}")
    params = {**REFERENCE_TRAINING, **params}
    held_out = REFERENCE_HELD_OUT if held_out is None else held_out
    from ..io import save_model_file

    output_dir = Path(output_dir)
    records = {}
    for backend in backends:
        if verbose:
            print(f"reference model, {backend} landmarks: training", flush=True)
        started = time.perf_counter()
        model, type_model, facts = _train(backend, params, verbose)
        seconds = time.perf_counter() - started
        path = output_dir / f"reference_{backend}.safetensors"
        type_path = output_dir / f"reference_{backend}_type.safetensors"
        save_model_file(model, path)
        save_model_file(type_model, type_path)
        figures = {}
        for name, settings in held_out.items():
            if verbose:
                print(f"reference model, {backend} landmarks: held-out {name!r}",
                      flush=True)
            settings = {**{key: params[key] for key in _COHORT_KEYS}, **settings}
            figures[name] = evaluate_reference_model(
                model, type_model=type_model,
                patient_threshold=facts["threshold"]["patient"]["value"],
                verbose=verbose, **settings)
        pipeline = reference_pipeline(model)
        record = {
            "model": path.name,
            "content_sha256": _content_sha256(path),
            "file_bytes": path.stat().st_size,
            "backend": pipeline[0].backend_,
            "pipeline": [f"{name}: {type(step).__name__}"
                         for name, step in pipeline.steps],
            "classes": model.classes_.tolist(),
            "threshold": _jsonable(facts.pop("threshold")),
            "type_model": {
                "model": type_path.name,
                "content_sha256": _content_sha256(type_path),
                "file_bytes": type_path.stat().st_size,
                "classes": type_model.classes_.tolist(),
                "trained_on": "the training cohort's patients",
            },
            "note": _NOTE,
            "training": _jsonable(params),
            "training_cohort": {
                "seed_stream": _TRAINING_STREAM,
                "chunk_seeds": "numpy SeedSequence([random_state, 0, chunk])",
                **_jsonable(facts),
            },
            "training_seconds": round(seconds, 1),
            "held_out": _jsonable(figures),
            "environment": _environment(params["n_threads"]),
            "command": "python scripts/train_reference_model.py",
        }
        text = json.dumps(record, indent=2, allow_nan=False) + "\n"
        atomic_write(output_dir / f"reference_{backend}.json",
                     lambda handle, text=text: handle.write(text))
        records[backend] = record
        if verbose:
            print(f"  wrote {path} ({record['file_bytes']} bytes)", flush=True)
    return records
