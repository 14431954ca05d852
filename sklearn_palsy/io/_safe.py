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
"""

import hashlib
import importlib
import inspect
import json
import math
import os
import re
import reprlib
import sys
import threading
import warnings

import numpy as np

from .._atomic import atomic_write
from ..exceptions import ModelFileError
from ._registry import registered_estimator_modules, registered_folder_parameters

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

#: The ``format`` string in every model file's metadata.
FORMAT = "sklearn-palsy"
#: The layout of the metadata and of the JSON config this version writes and
#: reads. A reader refuses files of a higher version.
FORMAT_VERSION = 1

# Instance attributes that are not part of a fitted model: metadata-routing
# requests (set with ``set_fit_request``) matter only when fitting again.
# A file that holds one anyway is refused.
_SKIPPED_ATTRIBUTES = ("_metadata_request",)
# The dtypes safetensors stores, as numpy writes them (little-endian).
_TENSOR_DTYPES = {
    "|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
    "<f2", "<f4", "<f8",
}
# The same dtypes as the safetensors header names them, with their itemsize.
_HEADER_DTYPES = {
    "BOOL": 1, "I8": 1, "U8": 1, "I16": 2, "U16": 2, "I32": 4, "U32": 4,
    "I64": 8, "U64": 8, "F16": 2, "F32": 4, "F64": 8,
}
# Dtypes of numpy scalars and dtype objects kept in the JSON. A string width
# has at most 10 digits, so that reading it as an int is cheap.
_SCALAR_DTYPE = re.compile(r"[<>|=]?(b1|[iuf][1248]|U\d{1,10})\Z")
# numpy arrays have at most 64 dimensions; model files need far fewer.
_MAX_NDIM = 32
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_REQUIRED_METADATA = ("format", "format_version", "sklearn_palsy_version",
                      "sklearn_version", "torch_version", "config", "sha256")
_MISSING = object()


def _limits():
    """The package :mod:`sklearn_palsy.io`, whose ``MAX_*`` attributes are the limits.

    They are read from there at each call, so that a user who raises one
    (``sklearn_palsy.io.MAX_TENSOR_BYTES = 2**33``) raises it for every
    function of the format.
    """
    return sys.modules[__package__]


# ---------------------------------------------------------------- checksum
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


def _class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


# ---------------------------------------------------------------- checks
class _Invalid(Exception):
    """The file's content is not a valid model; the message says why."""


def _attribute_problem(cls, name, params):
    """Why an estimator of class ``cls`` may not have the instance attribute ``name``.

    None if it may. ``params`` are the class's constructor parameters.
    """
    if type(name) is not str or not _IDENTIFIER.match(name):
        return "it is not a Python identifier"
    if name.startswith("__"):
        return "names that start with '__' belong to Python"
    if name in params:
        return "it is a constructor parameter, which is saved with the parameters"
    if name in _SKIPPED_ATTRIBUTES:
        return "model files do not hold metadata-routing requests"
    # getattr_static runs no descriptor and no __getattr__ of the class.
    found = inspect.getattr_static(cls, name, _MISSING)
    if found is _MISSING:
        return None
    if inspect.isfunction(found) or isinstance(found, (classmethod, staticmethod)):
        kind = "a method"
    elif isinstance(found, property):
        kind = "a property"
    elif hasattr(type(found), "__get__"):
        kind = f"a descriptor ({type(found).__name__})"
    else:
        kind = "a class variable"
    return f"the class defines it ({kind}), which an instance attribute would hide"


def _itemsize(dtype):
    """Bytes an element of the config's dtype string takes; 0 if it is not one.

    Read from the string, without making the dtype. Strings that are not a
    dtype are refused later by the decoder.
    """
    if dtype == "object":
        return np.dtype(object).itemsize
    match = _SCALAR_DTYPE.match(dtype) if type(dtype) is str else None
    if match is None:
        return 0
    code = match[1]
    return (4 if code[0] == "U" else 1) * int(code[1:])


def _check_shape(shape, limit, largest, what):
    """The number of elements of ``shape``, a list of at most _MAX_NDIM sizes.

    Each size is at most ``largest``, the value of the limit named ``limit``.
    """
    if type(shape) is not list or len(shape) > _MAX_NDIM or not all(
        type(size) is int and 0 <= size <= largest for size in shape
    ):
        raise _Invalid(f"{what} has the shape {reprlib.repr(shape)}; a shape has at "
                       f"most {_MAX_NDIM} sizes, each from 0 to {limit} = {largest}")
    return math.prod(shape)


def _check_config_size(config):
    """Refuse a config beyond the limits, in one pass that builds nothing.

    Walks the parsed JSON depth first, with a stack of iterators (no
    recursion, and memory in proportion to the depth), counting its values
    and the elements and bytes that its inline arrays, numpy scalars and
    dtypes declare, so that nothing is allocated for a file that declares,
    say, an array of a billion wide strings.
    """
    limits = _limits()
    most_nodes, most_depth = limits.MAX_CONFIG_NODES, limits.MAX_CONFIG_DEPTH
    most_elements, most_bytes = limits.MAX_INLINE_ELEMENTS, limits.MAX_INLINE_BYTES
    nodes = elements = size = 0
    stack = [iter((config,))]
    while stack:
        node = next(stack[-1], _MISSING)
        if node is _MISSING:
            stack.pop()
            continue
        nodes += 1
        if nodes > most_nodes:
            raise _Invalid(f"its config has more than MAX_CONFIG_NODES = "
                           f"{most_nodes} JSON values")
        if len(stack) > most_depth:
            raise _Invalid(f"its config is nested more than MAX_CONFIG_DEPTH = "
                           f"{most_depth} levels deep")
        if type(node) is list:
            stack.append(iter(node))
        elif type(node) is dict:
            kind = node.get("type")
            if kind == "numpy.array":
                count = _check_shape(node.get("shape"), "MAX_INLINE_ELEMENTS",
                                     most_elements, "an inline array")
                elements += count
                size += count * _itemsize(node.get("dtype"))
            elif kind == "numpy.scalar":
                elements += 1
                size += _itemsize(node.get("dtype"))
            elif kind in ("numpy.dtype", "numpy.type"):
                size += _itemsize(node.get("dtype"))
            if elements > most_elements:
                raise _Invalid(f"its config declares more than MAX_INLINE_ELEMENTS = "
                               f"{most_elements} elements of inline arrays")
            if size > most_bytes:
                raise _Invalid(f"its config declares inline arrays, scalars and dtypes "
                               f"of {size} bytes, more than MAX_INLINE_BYTES = "
                               f"{most_bytes}")
            stack.append(iter(node.values()))


def _check_tensor_size(declared):
    """Refuse tensors of more than MAX_TENSOR_BYTES, from (name, dtype, shape)."""
    most_bytes = _limits().MAX_TENSOR_BYTES
    total = 0
    for name, dtype, shape in declared:
        if dtype not in _HEADER_DTYPES:
            raise _Invalid(f"tensor {name!r} has dtype {dtype!r}, which model files "
                           "do not hold")
        total += _check_shape(shape, "MAX_TENSOR_BYTES", most_bytes,
                              f"tensor {name!r}") * _HEADER_DTYPES[dtype]
    if total > most_bytes:
        raise _Invalid(f"its tensors take {total} bytes, more than MAX_TENSOR_BYTES = "
                       f"{most_bytes}")


# ---------------------------------------------------------------- encoding
class _Unencodable(TypeError):
    """A value that the safe format cannot hold; ``path`` says where it is."""

    def __init__(self, path, reason, *, search=False):
        self.path = path
        self.reason = reason
        self.search = search
        super().__init__(f"{path}: {reason}")


def _join(path, name):
    return f"{path}.{name}" if path else name


class _Encoder:
    """Turn an estimator tree into JSON-able nodes and a dict of tensors."""

    def __init__(self):
        self.tensors = {}
        self._ids = {}  # id(estimator) -> its number in the file
        self._alive = []  # keep encoded objects alive so that ids stay unique
        self._building = set()  # ids of the estimators being encoded: the ancestors
        self._in_search = False

    def fail(self, path, reason):
        raise _Unencodable(path or "the estimator", reason, search=self._in_search)

    def encode(self, value, path):
        from sklearn.base import BaseEstimator
        from sklearn.utils import Bunch

        from ..faces._schemes import LandmarkScheme

        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value
        if kind is float:
            return value if math.isfinite(value) else {"type": "float",
                                                        "value": repr(value)}
        if kind is slice:
            return {"type": "slice", "items": [
                self.encode(part, f"{path}.{name}")
                for name, part in zip(("start", "stop", "step"),
                                      (value.start, value.stop, value.step),
                                      strict=True)
            ]}
        if kind is list:
            return [self.encode(item, f"{path}[{index}]")
                    for index, item in enumerate(value)]
        if kind is tuple:
            return {"type": "tuple", "items": [
                self.encode(item, f"{path}[{index}]")
                for index, item in enumerate(value)
            ]}
        if kind is dict or kind is Bunch:
            items = []
            for key, item in value.items():
                if not isinstance(key, (str, int, float, tuple, np.generic)):
                    self.fail(path, f"a dict key of type {type(key).__name__} "
                              "cannot be saved")
                items.append([self.encode(key, f"{path}[{key!r}]"),
                              self.encode(item, f"{path}[{key!r}]")])
            return {"type": "dict" if kind is dict else "bunch", "items": items}
        if isinstance(value, np.generic):
            return self.encode_numpy_scalar(value, path)
        if isinstance(value, np.dtype):
            return {"type": "numpy.dtype", "dtype": self.scalar_dtype(value, path)}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"type": "numpy.type",
                    "dtype": self.scalar_dtype(np.dtype(value), path)}
        if kind is np.ndarray:
            return self.encode_array(value, path)
        if isinstance(value, BaseEstimator):
            return self.encode_estimator(value, path)
        if kind is LandmarkScheme:
            return self.encode_scheme(value, path)
        if kind is np.random.RandomState:
            return {"type": "numpy.random_state",
                    "state": self.encode(value.get_state(legacy=False), path)}
        if kind is np.random.Generator:
            return {"type": "numpy.generator",
                    "state": self.encode(value.bit_generator.state, path)}
        if callable(value):
            self.fail(path, f"{value!r} is a function or callable object, not data")
        self.fail(path, f"a {_class_name(kind)} is not data that the safe format "
                  "holds")

    def scalar_dtype(self, dtype, path):
        text = dtype.newbyteorder("<").str if dtype.byteorder == ">" else dtype.str
        if not _SCALAR_DTYPE.match(text):
            self.fail(path, f"numpy dtype {dtype} is not supported")
        return text

    def encode_numpy_scalar(self, value, path):
        dtype = self.scalar_dtype(value.dtype, path)
        item = value.item()
        if type(item) is float and not math.isfinite(item):
            item = {"type": "float", "value": repr(item)}
        return {"type": "numpy.scalar", "dtype": dtype, "value": item}

    def encode_array(self, array, path):
        if array.dtype.kind in "biuf":
            if array.dtype.byteorder == ">":
                array = array.astype(array.dtype.newbyteorder("<"))
            if array.dtype.str not in _TENSOR_DTYPES:
                self.fail(path, f"arrays of dtype {array.dtype} are not supported")
            name = path or "array"
            while name in self.tensors:
                name += "'"
            fortran = array.flags.f_contiguous and not array.flags.c_contiguous
            if array.ndim > 1 and fortran:
                # Keep Fortran order (e.g. PCA's components_): the memory layout
                # changes the order of BLAS sums, and so the last bits.
                self.tensors[name] = array.T
                return {"type": "numpy.ndarray", "tensor": name, "order": "F"}
            self.tensors[name] = np.ascontiguousarray(array)
            return {"type": "numpy.ndarray", "tensor": name}
        if array.dtype.kind == "U":
            return {"type": "numpy.array",
                    "dtype": self.scalar_dtype(array.dtype, path),
                    "shape": list(array.shape), "values": array.ravel().tolist()}
        if array.dtype.kind == "O":
            values = []
            for index, item in enumerate(array.ravel()):
                if not (item is None or type(item) in (bool, int, float, str)
                        or isinstance(item, np.generic)):
                    self.fail(f"{path}[{index}]", "object arrays may hold only "
                              "str, int, float, bool or None; found a "
                              f"{type(item).__name__}")
                values.append(self.encode(item, f"{path}[{index}]"))
            return {"type": "numpy.array", "dtype": "object",
                    "shape": list(array.shape), "values": values}
        self.fail(path, f"arrays of dtype {array.dtype} are not supported")

    def encode_scheme(self, scheme, path):
        from dataclasses import fields

        from ..faces._schemes import _REGISTRY

        if _REGISTRY.get(scheme.name) is scheme:
            return {"type": "landmark_scheme", "name": scheme.name}
        return {"type": "landmark_scheme", "fields": {
            field.name: self.encode(getattr(scheme, field.name),
                                    _join(path, field.name))
            for field in fields(scheme)
        }}

    def encode_estimator(self, estimator, path):
        from ..utils._compat import BaseSearchCV

        if id(estimator) in self._building:
            self.fail(path, "the estimator contains itself (a cycle), which a model "
                      "file cannot hold")
        if id(estimator) in self._ids:
            return {"type": "ref", "id": self._ids[id(estimator)]}
        cls = type(estimator)
        name = _class_name(cls)
        try:
            if _resolve_class(name) is not cls:
                raise _Invalid(f"{name!r} names another class")
        except _Invalid as error:
            self.fail(path, f"load_model would refuse its class: {error}")
        number = len(self._ids)
        self._ids[id(estimator)] = number
        self._alive.append(estimator)
        self._building.add(id(estimator))
        in_search, self._in_search = self._in_search, (
            self._in_search or isinstance(estimator, BaseSearchCV))
        try:
            params = estimator.get_params(deep=False)
            folders = registered_folder_parameters()
            encoded_params = {}
            for key in sorted(params):
                value = params[key]
                if key in folders and value is not None:
                    warnings.warn(
                        f"{_join(path, key) or key}={value!r} is not saved: a model "
                        "file does not choose folders whose files are unpickled. "
                        "Set it again after loading if you need it.",
                        UserWarning, stacklevel=2,
                    )
                    value = None
                encoded_params[key] = self.encode(value, _join(path, key))
            hook = getattr(estimator, "_get_safe_state", None)
            state = hook() if hook is not None else {
                key: value for key, value in vars(estimator).items()
                if key not in params
            }
            encoded_state = {}
            for key in sorted(state):
                if key in _SKIPPED_ATTRIBUTES:
                    continue
                problem = _attribute_problem(cls, key, params)
                if problem is not None:
                    self.fail(_join(path, key), f"load_model would refuse the "
                              f"attribute {key!r} of a {cls.__name__}: {problem}")
                encoded_state[key] = self.encode(state[key], _join(path, key))
        finally:
            self._in_search = in_search
            self._building.discard(id(estimator))
        return {"type": "estimator", "id": number, "class": name,
                "params": encoded_params, "state": encoded_state}


# ---------------------------------------------------------------- decoding
def _resolve_class(name):
    """The estimator class called ``name``, importing only registered modules.

    ``name`` is the module that defines the class and its name. The name is
    checked as a string first: the longest registered module
    (:func:`~sklearn_palsy.io.register_estimator_module`) that contains the
    module is the only module imported, and the class must be exported
    there. So a forged name
    (``sklearn.experimental.enable_...``, ``sklearn.utils._testing...``)
    imports nothing before it is refused.
    """
    from sklearn.base import BaseEstimator

    if not isinstance(name, str):
        raise _Invalid(f"an estimator's class must be a string; got {name!r}")
    module_name, _, class_name = name.rpartition(".")
    if not all(_IDENTIFIER.match(part) and not part.startswith("__")
               for part in name.split(".")):
        raise _Invalid(f"class {name!r} is not a valid class name")
    public = max(
        (module for module in registered_estimator_modules()
         if module_name == module or module_name.startswith(module + ".")),
        key=len, default=None,
    )
    if public is None:
        raise _Invalid(
            f"class {name!r} is not allowed: only the public estimator classes of "
            "sklearn_palsy, of scikit-learn's estimator modules and of modules "
            "given to sklearn_palsy.io.register_estimator_module are loaded"
        )
    try:
        module = importlib.import_module(public)
    except ImportError as error:
        raise _Invalid(f"class {name!r}: cannot import {public} ({error})") from None
    # The module's own namespace: no module __getattr__ runs for a name that
    # the module does not export...
    namespace = vars(module)
    declared = namespace.get("__all__")
    if declared is None:
        # Modules that are not packages (sklearn.dummy...) may lack __all__.
        cls = None if class_name.startswith("_") else namespace.get(class_name)
    elif class_name not in declared:
        cls = None
    elif class_name in namespace:
        cls = namespace[class_name]
    else:
        # ...but a name that it exports and imports on first use (PEP 562,
        # as sklearn_palsy does) is fetched as `from module import name` would.
        try:
            cls = getattr(module, class_name)
        except (AttributeError, ImportError):
            cls = None
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise _Invalid(f"{name!r} is not an estimator class that {public} exports")
    if _class_name(cls) != name:
        raise _Invalid(f"{name!r} is an alias of {_class_name(cls)!r}")
    return cls


def _fields(node, *names):
    """The values of a node's fields, which must be exactly ``type`` and ``names``."""
    if set(node) != {"type", *names}:
        raise _Invalid(f"a {node.get('type')!r} node has fields {sorted(node)}; "
                       f"expected {sorted(['type', *names])}")
    return [node[name] for name in names]


def _check_scalar_dtype(dtype):
    if not isinstance(dtype, str) or not _SCALAR_DTYPE.match(dtype):
        raise _Invalid(f"unsupported dtype {dtype!r}")
    return np.dtype(dtype)


def _check_network(estimator, state):
    """Refuse a network that would not be the saved one, before building it.

    Building a skorch net allocates every weight before the saved ones
    replace them, so parameters of a few bytes (``hidden_layer_sizes=(10**5,
    10**5)``) could ask for gigabytes. The estimator's parameters are
    checked against its constraints, as ``fit`` does (they choose, e.g., the
    torchvision architecture); then the module is built on torch's ``meta``
    device, where tensors have a shape but no memory, and stopped as soon as
    it registers more tensors or elements than the saved weights hold. Its
    state dict must then have exactly the saved names and shapes, so that
    the real net, built next, is no larger than the weights in the file.
    """
    import torch
    from torch.nn.modules.module import (
        register_module_buffer_registration_hook,
        register_module_parameter_registration_hook,
    )

    cls = type(estimator)
    try:
        estimator._validate_params()
    except ValueError as error:
        raise _Invalid(f"{_class_name(cls)}: {error}") from None
    net_state = state.get("net_")
    weights = net_state.get("module_state_dict") if type(net_state) is dict else None
    if type(weights) is not dict:
        return  # not fitted, or malformed: _set_safe_state says which
    saved = {}
    for key, value in weights.items():
        if type(value) is not np.ndarray:
            raise _Invalid(f"{_class_name(cls)}: weight {key!r} is not an array")
        saved[key] = value.shape
    # A copy with the fitted attributes that the module's parameters read
    # (classes_, n_features_in_, the fusion's branches), not the net itself.
    probe = cls.__new__(cls)
    vars(probe).update(vars(estimator))
    vars(probe).update((key, value) for key, value in state.items() if key != "net_")
    # A little slack for tensors that are not in the state dict (buffers
    # registered with persistent=False); the shapes are compared exactly below.
    most_tensors = len(saved) + 64
    most_elements = sum(math.prod(shape) for shape in saved.values()) + 2**20
    owner = threading.get_ident()
    seen = {"tensors": 0, "elements": 0}

    def count(module, name, tensor):
        # The hooks are global: count only what this thread builds.
        if tensor is None or threading.get_ident() != owner:
            return
        seen["tensors"] += 1
        seen["elements"] += tensor.numel()
        if seen["tensors"] > most_tensors or seen["elements"] > most_elements:
            raise _Invalid(
                f"{_class_name(cls)}: its parameters describe a network larger than "
                f"its saved weights ({len(saved)} tensors, {most_elements - 2**20} "
                "elements)"
            )

    handles = [register_module_parameter_registration_hook(count),
               register_module_buffer_registration_hook(count)]
    try:
        module, params = probe.build_module(n_outputs=probe._n_outputs(),
                                            pretrained=False)
        with torch.device("meta"):
            built = module(**params).state_dict()
    finally:
        for handle in handles:
            handle.remove()
    shapes = {key: tuple(tensor.shape) for key, tensor in built.items()}
    # Scalars (batch norm's num_batches_tracked) are saved with shape (1,), as
    # np.ascontiguousarray makes them; load_state_dict accepts them so too.
    saved = {key: () if shape == (1,) and shapes.get(key) == () else shape
             for key, shape in saved.items()}
    if shapes != saved:
        differ = sorted(key for key in set(shapes) | set(saved)
                        if shapes.get(key) != saved.get(key))
        raise _Invalid(
            f"{_class_name(cls)}: its parameters describe a network whose weights "
            f"differ from the saved ones: {differ[:5]} (built "
            f"{[shapes.get(key) for key in differ[:5]]}, saved "
            f"{[saved.get(key) for key in differ[:5]]})"
        )


class _Decoder:
    """Rebuild the estimator tree from JSON nodes and the file's tensors."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.used = set()
        self.objects = {}
        self.building = set()  # numbers of the estimators being decoded: ancestors

    def decode(self, node):
        kind = type(node)
        if node is None or kind in (bool, int, float, str):
            return node
        if kind is list:
            return [self.decode(item) for item in node]
        if kind is not dict:
            raise _Invalid(f"unexpected JSON value {node!r}")
        tag = node.get("type")
        handler = self._handlers.get(tag) if isinstance(tag, str) else None
        if handler is None:
            raise _Invalid(f"unknown type tag {tag!r}")
        return handler(self, node)

    def decode_float(self, node):
        (text,) = _fields(node, "value")
        if text not in ("nan", "inf", "-inf"):
            raise _Invalid(f"bad float {text!r}")
        return float(text)

    def decode_tuple(self, node):
        (items,) = _fields(node, "items")
        if type(items) is not list:
            raise _Invalid("a tuple's items must be a list")
        return tuple(self.decode(item) for item in items)

    def decode_slice(self, node):
        (items,) = _fields(node, "items")
        if type(items) is not list or len(items) != 3 or not all(
            item is None or type(item) is int for item in items
        ):
            raise _Invalid("a slice holds three ints or nulls")
        return slice(*items)

    def decode_dict(self, node):
        from sklearn.utils import Bunch

        (items,) = _fields(node, "items")
        result = {} if node["type"] == "dict" else Bunch()
        if type(items) is not list:
            raise _Invalid("a dict's items must be a list")
        for pair in items:
            if type(pair) is not list or len(pair) != 2:
                raise _Invalid("a dict item must be a [key, value] pair")
            key, value = self.decode(pair[0]), self.decode(pair[1])
            try:
                result[key] = value
            except TypeError as error:  # an unhashable key
                raise _Invalid(f"bad dict key {key!r}: {error}") from None
        return result

    def decode_numpy_scalar(self, node):
        dtype, value = _fields(node, "dtype", "value")
        dtype = _check_scalar_dtype(dtype)
        value = self.decode(value)
        if type(value) not in (bool, int, float, str):
            raise _Invalid(f"bad numpy scalar value {value!r}")
        try:
            return dtype.type(value)
        except (TypeError, ValueError, OverflowError) as error:
            raise _Invalid(f"bad numpy scalar {value!r}: {error}") from None

    def decode_numpy_dtype(self, node):
        (dtype,) = _fields(node, "dtype")
        dtype = _check_scalar_dtype(dtype)
        return dtype if node["type"] == "numpy.dtype" else dtype.type

    def decode_ndarray(self, node):
        if node.get("order", "C") not in ("C", "F"):
            raise _Invalid(f"bad array order {node['order']!r}")
        fortran = node.pop("order", "C") == "F"
        (name,) = _fields(node, "tensor")
        if name not in self.tensors:
            raise _Invalid(f"the config refers to a tensor {name!r} that the file "
                           "does not hold")
        if name in self.used:
            raise _Invalid(f"tensor {name!r} is referred to twice")
        self.used.add(name)
        return self.tensors[name].T if fortran else self.tensors[name]

    def decode_array(self, node):
        dtype, shape, values = _fields(node, "dtype", "shape", "values")
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise _Invalid(f"bad array shape {shape!r}")
        if type(values) is not list or len(values) != math.prod(shape):
            raise _Invalid("an array's values do not match its shape")
        if dtype == "object":
            array = np.empty(len(values), dtype=object)
            for index, value in enumerate(values):
                value = self.decode(value)
                if not (value is None or type(value) in (bool, int, float, str)
                        or isinstance(value, np.generic)):
                    raise _Invalid(f"object arrays hold only scalars; got {value!r}")
                array[index] = value
            return array.reshape(shape)
        dtype = _check_scalar_dtype(dtype)
        if dtype.kind != "U" or not all(type(value) is str for value in values):
            raise _Invalid(f"bad string array of dtype {dtype}")
        return np.array(values, dtype=dtype).reshape(shape)

    def decode_scheme(self, node):
        from ..faces._schemes import _REGISTRY, LandmarkScheme

        if set(node) == {"type", "name"}:
            if node["name"] not in _REGISTRY:
                raise _Invalid(f"unknown landmark scheme {node['name']!r}")
            return _REGISTRY[node["name"]]
        (fields,) = _fields(node, "fields")
        if type(fields) is not dict:
            raise _Invalid("a landmark scheme's fields must be an object")
        try:
            return LandmarkScheme(**{key: self.decode(value)
                                     for key, value in fields.items()})
        except (TypeError, ValueError) as error:
            raise _Invalid(f"bad landmark scheme: {error}") from None

    def decode_random(self, node):
        (state,) = _fields(node, "state")
        state = self.decode(state)
        name = state.get("bit_generator") if type(state) is dict else None
        try:
            if node["type"] == "numpy.random_state" and name == "MT19937":
                generator = np.random.RandomState()
                generator.set_state(state)
                return generator
            if node["type"] == "numpy.generator" and name in _BIT_GENERATORS:
                bit_generator = getattr(np.random, name)()
                bit_generator.state = state
                return np.random.Generator(bit_generator)
        except (TypeError, ValueError, KeyError) as error:
            raise _Invalid(f"bad random generator state: {error}") from None
        raise _Invalid(f"bad random generator {name!r}")

    def decode_ref(self, node):
        (number,) = _fields(node, "id")
        if type(number) is not int or number not in self.objects:
            raise _Invalid(f"reference to an estimator {number!r} defined nowhere "
                           "before it")
        if number in self.building:
            raise _Invalid(
                f"estimator {number} ({_class_name(type(self.objects[number]))}) "
                "contains a reference to itself: a cycle, which no model has"
            )
        return self.objects[number]

    def decode_estimator(self, node):
        number, name, params, state = _fields(node, "id", "class", "params", "state")
        cls = _resolve_class(name)
        if type(number) is not int or number in self.objects:
            raise _Invalid(f"bad or repeated estimator id {number!r}")
        if type(params) is not dict or type(state) is not dict:
            raise _Invalid(f"{name}: params and state must be JSON objects")
        signature = inspect.signature(cls.__init__).parameters
        accepted = set(cls._get_param_names())
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise _Invalid(f"{name} has no parameters {unknown}")
        for key in state:
            problem = _attribute_problem(cls, key, accepted)
            if problem is not None:
                raise _Invalid(f"attribute {key!r} of the {name} is refused: {problem}")
        # Like pickle, make the object without running __init__.
        estimator = cls.__new__(cls)
        self.objects[number] = estimator
        self.building.add(number)
        folders = registered_folder_parameters()
        values = {}
        for key in sorted(accepted):
            if key in params:
                values[key] = self.decode(params[key])
            elif signature[key].default is not inspect.Parameter.empty:
                # A parameter added after the file was written: its default.
                values[key] = signature[key].default
            else:
                raise _Invalid(f"{name}: parameter {key!r} is missing")
            if key in folders and values[key] is not None:
                raise _Invalid(f"{name}: {key} must be None in a model file")
        vars(estimator).update(values)
        state = {key: self.decode(value) for key, value in state.items()}
        hook = getattr(cls, "_set_safe_state", None)
        if hook is None:
            vars(estimator).update(state)
        else:
            try:
                if hasattr(cls, "build_module"):
                    _check_network(estimator, state)
                hook(estimator, state)
            except _Invalid:
                raise
            except Exception as error:  # noqa: BLE001 - any failure to rebuild
                raise _Invalid(f"cannot rebuild the {cls.__name__}: "
                               f"{type(error).__name__}: {error}") from error
        self.building.discard(number)
        return estimator

    _handlers = {
        "float": decode_float,
        "tuple": decode_tuple,
        "slice": decode_slice,
        "dict": decode_dict,
        "bunch": decode_dict,
        "numpy.scalar": decode_numpy_scalar,
        "numpy.dtype": decode_numpy_dtype,
        "numpy.type": decode_numpy_dtype,
        "numpy.ndarray": decode_ndarray,
        "numpy.array": decode_array,
        "landmark_scheme": decode_scheme,
        "numpy.random_state": decode_random,
        "numpy.generator": decode_random,
        "ref": decode_ref,
        "estimator": decode_estimator,
    }


# ---------------------------------------------------------------- public API
def save_model(estimator, path):
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
        pipelines, :class:`~sklearn_palsy.FusionClassifier` (both
        fusions), the neural classifiers, transformers and scikit-learn's
        classifiers whose fitted attributes are arrays and plain values.
    path : str or path-like
        Destination; ``.safetensors`` is the usual extension.

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


def _major_minor(version):
    match = re.match(r"(\d+)\.(\d+)", version)
    return None if match is None else (int(match[1]), int(match[2]))


def _check_header_size(path, refuse):
    """Refuse a file whose safetensors header is beyond ``MAX_HEADER_BYTES``.

    A safetensors file starts with its header's length, 8 bytes
    little-endian; it is read and checked before the header is parsed.
    """
    try:
        with open(path, "rb") as handle:
            file_size = os.fstat(handle.fileno()).st_size
            prefix = handle.read(8)
    except OSError as error:
        raise refuse(f"cannot read it ({error})") from None
    header_size = int.from_bytes(prefix, "little")
    if len(prefix) < 8 or header_size > file_size - 8:
        # safetensors says what is wrong with it.
        return
    most_bytes = _limits().MAX_HEADER_BYTES
    if header_size > most_bytes:
        raise refuse(f"its header takes {header_size} bytes, more than "
                     f"MAX_HEADER_BYTES = {most_bytes}")


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
