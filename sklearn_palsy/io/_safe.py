"""A model file format that loads without running code: safetensors plus JSON.

:func:`save_model` writes a fitted estimator, however deeply nested
(pipelines, fusions, their branches and transformers), to one file in the
standard `safetensors <https://huggingface.co/docs/safetensors>`_ format:

- every numeric array (fitted numpy attributes, and the weights and
  batch-norm buffers of the torch modules) is a tensor of the file;
- the header's ``__metadata__`` holds only strings: ``format``
  (``"sklearn-palsy"``), ``format_version``, the versions of sklearn-palsy,
  scikit-learn and torch that wrote it, ``config`` (a JSON description of
  the estimator tree, with type tags) and ``sha256`` (a checksum over the
  other metadata and every tensor).

:func:`load_model` parses the header with the safetensors library (which
reads data and never runs code from the file), checks the checksum, and
rebuilds the estimators from the JSON. Objects are made with
``cls.__new__`` and filled with their parameters and fitted attributes, as
pickle does, but without pickle's ability to call arbitrary functions.
Neural estimators rebuild their skorch net through their own code, from the
saved weights.

The checksum is no defence against a forged file: whoever forges one can
recompute it. What a file may hold is therefore checked before anything it
describes is made:

1. **Sizes.** The header's length is read from the file's first 8 bytes and
   must be at most :data:`~sklearn_palsy.io.MAX_HEADER_BYTES`; the tensors
   that the header declares (dtype times shape) must add up to at most
   :data:`~sklearn_palsy.io.MAX_TENSOR_BYTES`. The config's number of JSON
   values is bounded from its separators before it is parsed
   (:data:`~sklearn_palsy.io.MAX_CONFIG_NODES`); then one pass over it,
   building nothing, bounds its nesting
   (:data:`~sklearn_palsy.io.MAX_CONFIG_DEPTH`) and what its inline arrays,
   numpy scalars and dtypes declare: elements
   (:data:`~sklearn_palsy.io.MAX_INLINE_ELEMENTS`) and bytes
   (:data:`~sklearn_palsy.io.MAX_INLINE_BYTES`, where a string dtype such as
   ``<U100000000`` counts its width). The limits are attributes of
   :mod:`sklearn_palsy.io`, read at each call, so that raising one there
   takes effect. A network's parameters are validated as ``fit`` does,
   and the network is first built on torch's ``meta`` device, where tensors
   have shapes but no memory: it must have exactly the saved weights' names
   and shapes, so that a few bytes of parameters (``hidden_layer_sizes``)
   cannot ask for gigabytes of weights.
2. **Classes.** A class is looked up by name in the namespace of one of the
   registered modules (:func:`~sklearn_palsy.io.register_estimator_module`;
   from the start, the ``sklearn_palsy`` package and scikit-learn's public
   modules that define estimators). The name is checked against them as a
   string, so the only modules ever imported are registered ones
   (``sklearn.experimental``, ``sklearn.utils._testing`` or
   ``sklearn.datasets`` never are). The class must be exported there (in
   its ``__all__``, or a public name of a module without one), defined
   under that module, and a subclass of
   :class:`sklearn.base.BaseEstimator`.
3. **Attributes.** Every fitted attribute's name must be an identifier,
   must not start with ``__``, must not be a constructor parameter, and
   must not be anything the class defines (method, property, descriptor or
   class variable): an instance attribute would hide it, so that a file
   could, for instance, replace ``predict`` with a numpy type.
4. **Cycles.** A ``ref`` node may point to an estimator already complete
   (fusions share their branches between ``estimators_`` and
   ``named_estimators_``), never to one still being built, which would make
   an estimator contain itself.

:func:`save_model` applies the same rules, so that it never writes a file
that :func:`load_model` refuses.

**How a class takes part.** An estimator is saved if its class is exported
by a registered module (2. above). Its parameters are those of
``get_params(deep=False)``, and its fitted attributes everything else in
``vars(estimator)``; both must be data that the format holds (None, bools,
numbers, strings, lists, tuples, dicts, slices, numpy arrays, scalars,
dtypes and random generators, landmark schemes, and other estimators). A
class whose fitted state is not such data defines two methods, which the
format calls:

- ``_get_safe_state(self)`` returns the fitted attributes as a dict of
  data; the neural classifiers replace their skorch net ``net_`` by its
  module's state dict and training history.
- ``_set_safe_state(self, state)`` receives that dict, decoded, on an
  object made with ``cls.__new__`` that holds its parameters, and restores
  the fitted attributes (the neural classifiers rebuild ``net_`` with their
  own code and load the weights into it). The file is refused if it raises.

A class that also has ``build_module(n_outputs=..., pretrained=False)`` and
``_n_outputs()`` builds a torch network: before ``_set_safe_state`` runs,
its parameters are validated and the network is built on the ``meta``
device and checked against the saved weights (1. above).

This module holds the file itself: its metadata, checksum and versions, and
:func:`save_model` and :func:`load_model`. What a file may hold is checked
in :mod:`~sklearn_palsy.io._checks`; the estimator tree is written to a
config and tensors in :mod:`~sklearn_palsy.io._encode` and read back in
:mod:`~sklearn_palsy.io._decode`.
"""

import hashlib
import json
import os
import re
import warnings

import numpy as np

from ..exceptions import ModelFileError
from ..utils._atomic import atomic_write
from ._checks import (
    _check_config_size,
    _check_header_size,
    _check_tensor_size,
    _Invalid,
    _limits,
)
from ._decode import _Decoder
from ._encode import _Encoder, _Unencodable

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

#: The ``format`` string in every model file's metadata.
FORMAT = "sklearn-palsy"
#: The layout of the metadata and of the JSON config this version writes and
#: reads. A reader refuses files of a higher version.
FORMAT_VERSION = 1
_REQUIRED_METADATA = ("format", "format_version", "sklearn_palsy_version",
                      "sklearn_version", "torch_version", "config", "sha256")


def _checksum(metadata, tensors):
    """SHA-256 over the metadata (but ``sha256``) and every tensor, in sorted order.

    Each piece is length-prefixed, so that no two different files hash the
    same bytes.
    """
    digest = hashlib.sha256()

    def feed(data):
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    for key in sorted(metadata):
        if key != "sha256":
            feed(key.encode("utf-8"))
            feed(metadata[key].encode("utf-8"))
    for name in sorted(tensors):
        array = tensors[name]
        feed(name.encode("utf-8"))
        feed(array.dtype.str.encode("ascii"))
        feed(json.dumps(list(array.shape)).encode("ascii"))
        feed(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _versions():
    import sklearn
    import torch

    from .. import __version__

    return {
        "sklearn_palsy_version": __version__,
        "sklearn_version": sklearn.__version__,
        "torch_version": torch.__version__,
    }


def save_model(estimator, path, *, card=None):
    """Save a fitted estimator in a file that loads without running code.

    The file is in the standard safetensors format: the numeric arrays of
    the estimator tree (fitted attributes, network weights and batch-norm
    buffers) are its tensors, and its metadata holds a JSON description of
    the estimators (classes, parameters, other fitted attributes), the
    versions that wrote it and a SHA-256 checksum. It is written through a
    temporary file and :func:`os.replace`, so it is never half-written.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn estimator of ``sklearn_palsy``, ``sklearn`` or a
        module registered with
        :func:`~sklearn_palsy.io.register_estimator_module`, fitted or not:
        pipelines, :class:`~sklearn_palsy.IntermediateFusionClassifier`
        and the late fusions, the neural classifiers, transformers and scikit-learn's
        classifiers whose fitted attributes are arrays and plain values.
    path : str or path-like
        Destination; ``.safetensors`` is the usual extension.
    card : ModelCard, default=None
        A model card (:func:`~sklearn_palsy.io.make_model_card`) to write
        beside the model, as ``<stem>.card.json`` and ``<stem>.card.md``
        (:func:`~sklearn_palsy.io.write_model_card`), after the model file.

    Raises
    ------
    TypeError
        If some part of the estimator is not data that the format holds: a
        function (e.g. a ``FunctionTransformer``'s ``func``), an arbitrary
        object, an estimator class of a module that is not registered, or a
        grid search's
        ``cv_results_``; or an attribute that :func:`load_model` refuses
        (one that hides something its class defines, such as an instance
        attribute ``predict``), or an estimator that contains itself. The
        message names the attribute's path, e.g. ``steps[1][1].func``.
    ValueError
        If the file would exceed one of the limits that :func:`load_model`
        enforces (:data:`~sklearn_palsy.io.MAX_TENSOR_BYTES` and the
        others); nothing is written then.

    See Also
    --------
    load_model : Read the file back.

    Notes
    -----
    Numbers survive exactly: arrays keep their bytes and dtype, floats are
    written with all their digits, and arrays of strings (e.g. ``classes_``
    of string labels) keep their dtype, so the loaded model's predictions
    are bit-identical on the same machine.

    Not saved: a neural net's optimizer state and callbacks (the loaded
    model predicts and can be fitted again, not trained further from where
    it stopped; ``net_.history`` is kept); metadata-routing requests made
    with ``set_fit_request``; and ``cache_dir`` or ``memory`` parameters
    (and others registered with
    :func:`~sklearn_palsy.io.register_folder_parameter`), which are saved as
    None (with a warning), because they name folders of pickled files.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_palsy import load_model, save_model
    >>> model = LogisticRegression().fit([[0.0], [1.0]], ["control", "palsy"])
    >>> path = Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> save_model(model, path)
    >>> load_model(path).predict([[0.9]])
    array(['palsy'], dtype='<U7')
    """
    from sklearn.base import BaseEstimator

    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            "save_model saves scikit-learn estimators; got a "
            f"{type(estimator).__name__}"
        )
    encoder = _Encoder()
    try:
        config = encoder.encode(estimator, "")
    except _Unencodable as error:
        hint = (" For a grid or randomized search, save its best_estimator_ instead."
                if error.search else "")
        raise TypeError(
            f"cannot save {error.path} in the safe model format: {error.reason}. "
            f"The format holds only data.{hint} To save it anyway, use joblib "
            "(sklearn_palsy.io.save_model_joblib, or a .joblib path on the "
            "command line), whose files run code when loaded."
        ) from None
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        **_versions(),
        "config": json.dumps(config, sort_keys=True, separators=(",", ":"),
                             allow_nan=False),
    }
    metadata["sha256"] = _checksum(metadata, encoder.tensors)

    from safetensors.numpy import save

    data = save(encoder.tensors, metadata=metadata)
    # Never write a file that load_model would refuse.
    header_size = int.from_bytes(data[:8], "little")
    limits = _limits()
    try:
        if header_size > limits.MAX_HEADER_BYTES:
            raise _Invalid(f"its header would take {header_size} bytes, more than "
                           f"MAX_HEADER_BYTES = {limits.MAX_HEADER_BYTES}")
        tensor_bytes = sum(array.nbytes for array in encoder.tensors.values())
        if tensor_bytes > limits.MAX_TENSOR_BYTES:
            raise _Invalid(f"its tensors would take {tensor_bytes} bytes, more than "
                           f"MAX_TENSOR_BYTES = {limits.MAX_TENSOR_BYTES}")
        _check_config_size(config)
    except _Invalid as error:
        raise ValueError(f"cannot save the model: {error}; load_model would "
                         "refuse the file") from None
    atomic_write(path, lambda handle: handle.write(data), "wb")
    if card is not None:
        from ._model_card import write_model_card

        write_model_card(path, card)


def _major_minor(version):
    match = re.match(r"(\d+)\.(\d+)", version)
    return None if match is None else (int(match[1]), int(match[2]))


def _read(path):
    """The metadata and tensors of a safetensors file; ModelFileError otherwise.

    The header's size, then the tensors' dtypes and shapes, are checked
    against the limits before the header is parsed and before any tensor is
    read.
    """
    from safetensors import safe_open

    shown = repr(str(path))

    def refuse(reason):
        return ModelFileError(f"cannot load model file {shown}: {reason}")

    if not os.path.isfile(path):
        raise ModelFileError(f"model file not found: {shown}")
    _check_header_size(path, refuse)
    try:
        with safe_open(os.fspath(path), framework="np") as reader:
            metadata = reader.metadata() or {}
            names = list(reader.keys())
            slices = [reader.get_slice(name) for name in names]  # reads no data
            declared = [(name, part.get_dtype(), part.get_shape())
                        for name, part in zip(names, slices, strict=True)]
            try:
                _check_tensor_size(declared)
            except _Invalid as error:
                raise refuse(str(error)) from None
            tensors = {name: reader.get_tensor(name) for name in names}
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 - safetensors' own error type
        raise refuse(f"not a safetensors file, or truncated ({error})") from None
    return metadata, tensors


def load_model(path):
    """Load a model saved by :func:`~sklearn_palsy.save_model`, running no code from it.

    The file's header is parsed by the safetensors library, which reads
    data and never executes it. Estimators are rebuilt only from the public
    estimator classes of ``sklearn_palsy``, of scikit-learn's estimator
    modules and of modules registered with
    :func:`~sklearn_palsy.io.register_estimator_module`; the name is
    checked before any module is imported, and no
    function named in the file is ever called. Neural estimators rebuild
    their skorch net with their own code and load the saved weights into it
    (never downloading initial weights). What the file declares is checked
    against limits before anything is allocated for it (see Notes).

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : estimator
        The estimator, as it was saved.

    Raises
    ------
    ModelFileError
        With the path and the reason, if the file is missing, is not a
        safetensors file or is truncated, is not an sklearn-palsy model, has
        a newer ``format_version``, fails its checksum ("the file is
        corrupted or was modified"), was written by a sklearn-palsy release
        of another major.minor version, exceeds one of the limits (the
        message names it), names a class that is not allowed, sets an
        attribute that its class defines (``predict``...), holds an
        estimator that contains itself, an unknown type tag or anything else
        that is not a valid model.

    Warns
    -----
    UserWarning
        When the file was written by another patch release of sklearn-palsy,
        or by another version of scikit-learn, whose estimators' fitted
        attributes may differ.

    See Also
    --------
    save_model : Write the file.

    Notes
    -----
    **Versions.** A file is loaded by the sklearn-palsy release that wrote
    it and by every release with the same major.minor version (a warning
    says when the patch level differs); other releases refuse it, since
    the fitted attributes of estimators may change between them: load it
    with the release that wrote it and refit, or retrain. Independently, a
    reader refuses files of a higher ``format_version`` than it knows.

    **What the checksum is for.** The SHA-256 checksum covers the metadata
    and every tensor, so a corrupted, truncated or accidentally edited
    file is refused. It is not a signature: anyone can change a file and
    recompute it, so it says nothing about who wrote the file. The safety
    property is a different one: loading a file, even a forged one, runs no
    code from it, and only instantiates the estimator classes of registered
    modules (``sklearn_palsy`` and ``sklearn``'s, unless you register more)
    with data as parameters. A forged
    file can still hold a model that predicts badly; trust a model's
    predictions as much as you trust its source.

    **Limits.** A file of a few kilobytes cannot make loading it allocate
    gigabytes: before anything is built, the header may take at most
    :data:`~sklearn_palsy.io.MAX_HEADER_BYTES` (64 MiB), the tensors
    :data:`~sklearn_palsy.io.MAX_TENSOR_BYTES` (2 GiB) together, and the
    config may nest :data:`~sklearn_palsy.io.MAX_CONFIG_DEPTH` (100) levels
    deep and hold :data:`~sklearn_palsy.io.MAX_CONFIG_NODES` (about 4
    million) JSON values; the arrays, numpy scalars and dtypes written in the
    config may declare :data:`~sklearn_palsy.io.MAX_INLINE_ELEMENTS` (about a
    million) elements and :data:`~sklearn_palsy.io.MAX_INLINE_BYTES` (64
    MiB). A network's parameters must describe exactly its saved weights. To
    load a larger file that you trust, raise the limit first, for example
    ``sklearn_palsy.io.MAX_TENSOR_BYTES = 2**33``.

    Examples
    --------
    >>> from sklearn_palsy import load_model
    >>> load_model("missing.safetensors")
    Traceback (most recent call last):
    ...
    sklearn_palsy.exceptions.ModelFileError: model file not found: 'missing.safetensors'
    """
    shown = repr(str(path))
    metadata, tensors = _read(path)

    def refuse(reason):
        return ModelFileError(f"cannot load model file {shown}: {reason}")

    if metadata.get("format") != FORMAT:
        raise refuse(f"not an sklearn-palsy model file (format "
                     f"{metadata.get('format')!r}, expected {FORMAT!r})")
    missing = [key for key in _REQUIRED_METADATA if key not in metadata]
    if missing:
        raise refuse(f"its metadata lacks {missing}")
    version = metadata["format_version"]
    if not re.fullmatch(r"[0-9]+", version) or int(version) < 1:
        raise refuse(f"bad format_version {version!r}")
    if int(version) > FORMAT_VERSION:
        raise refuse(
            f"it has format_version {version}, and this sklearn-palsy reads only "
            f"format_version {FORMAT_VERSION} or lower; upgrade sklearn-palsy"
        )
    if _checksum(metadata, tensors) != metadata["sha256"]:
        raise refuse("checksum mismatch: the file is corrupted or was modified")
    installed = _versions()
    written = metadata["sklearn_palsy_version"]
    if _major_minor(written) is None or (
        _major_minor(written) != _major_minor(installed["sklearn_palsy_version"])
    ):
        raise refuse(
            f"it was written by sklearn-palsy {written}, and this is "
            f"{installed['sklearn_palsy_version']}: model files are read only by "
            "releases of the same major.minor version. Load it with sklearn-palsy "
            f"{written}, or train the model again"
        )
    if written != installed["sklearn_palsy_version"]:
        warnings.warn(
            f"{shown} was written by sklearn-palsy {written}; this is "
            f"{installed['sklearn_palsy_version']}", UserWarning, stacklevel=2,
        )
    if metadata["sklearn_version"] != installed["sklearn_version"]:
        warnings.warn(
            f"{shown} was written with scikit-learn {metadata['sklearn_version']}; "
            f"this is {installed['sklearn_version']}, whose estimators may differ",
            UserWarning, stacklevel=2,
        )
    # Parsing makes a Python object of each JSON value: bound their number
    # first. Each value but the first follows a '[', ':' or ',' (and so do
    # keys, and separators within strings), so this bound is never too low.
    text = metadata["config"]
    most_values = 1 + text.count("[") + text.count(":") + text.count(",")
    most_nodes = _limits().MAX_CONFIG_NODES
    if most_values > most_nodes:
        raise refuse(f"its config has up to {most_values} JSON values, more than "
                     f"MAX_CONFIG_NODES = {most_nodes}")
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise refuse(f"its config is not valid JSON ({error})") from None
    try:
        _check_config_size(config)
    except _Invalid as error:
        raise refuse(str(error)) from None
    decoder = _Decoder(tensors)
    try:
        estimator = decoder.decode(config)
    except _Invalid as error:
        raise refuse(str(error)) from None
    except RecursionError:
        raise refuse("its config is nested too deeply") from None
    except Exception as error:  # noqa: BLE001 - whatever else a bad file causes
        raise refuse(f"invalid model ({type(error).__name__}: {error})") from error
    unused = sorted(set(tensors) - decoder.used)
    if unused:
        raise refuse(f"tensors {unused[:5]} are not referred to by the config")
    from sklearn.base import BaseEstimator

    if not isinstance(estimator, BaseEstimator):
        raise refuse("it does not hold an estimator")
    return estimator
