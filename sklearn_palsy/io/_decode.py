"""Reading: a JSON config and the file's tensors turned back into estimators.

:class:`_Decoder` rebuilds the estimator tree from the nodes that
:mod:`sklearn_palsy.io._encode` writes, one handler per type tag, refusing
with :class:`~sklearn_palsy.io._checks._Invalid` any node that is not one
it knows, a tensor named twice or never, and a ``ref`` to an estimator not
yet complete. Estimators are made with ``cls.__new__``, as pickle does, from
classes that :func:`~sklearn_palsy.io._checks._resolve_class` allows, and
filled with their parameters and fitted attributes (or given them through
their ``_set_safe_state``, after the network they describe is checked).
:func:`~sklearn_palsy.load_model` (in :mod:`sklearn_palsy.io._safe`) reads
the file and checks its metadata and sizes first.
"""

import inspect
import math

import numpy as np

from ._checks import (
    _SCALAR_DTYPE,
    _attribute_problem,
    _check_network,
    _class_name,
    _Invalid,
    _resolve_class,
)
from ._registry import registered_folder_parameters

_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


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
