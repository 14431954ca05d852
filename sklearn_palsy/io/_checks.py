"""What a model file may hold: the limits and the rules it is checked against.

The safe format (:mod:`sklearn_palsy.io._safe`) refuses a file before it
builds anything the file describes; this module holds those refusals and
the rules that :func:`~sklearn_palsy.save_model` applies too, so that it
never writes a file that :func:`~sklearn_palsy.load_model` refuses: the
sizes that the header, the tensors and the config declare against the
``MAX_*`` limits of :mod:`sklearn_palsy.io` (read at each call), the dtypes
and shapes a file may hold, the classes that may be named (only those that
registered modules export), the instance attributes an estimator may have,
and the network that a neural estimator's parameters describe against its
saved weights.
"""

import importlib
import inspect
import math
import os
import re
import reprlib
import sys
import threading

import numpy as np

from ._registry import registered_estimator_modules

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
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MISSING = object()


def _limits():
    """The package :mod:`sklearn_palsy.io`, whose ``MAX_*`` attributes are the limits.

    They are read from there at each call, so that a user who raises one
    (``sklearn_palsy.io.MAX_TENSOR_BYTES = 2**33``) raises it for every
    function of the format.
    """
    return sys.modules[__package__]


def _class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


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
