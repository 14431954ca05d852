"""Writing: an estimator tree turned into a JSON config and a dict of tensors.

:class:`_Encoder` walks the estimator, however deeply nested, and writes
each value as a JSON node with a type tag: numeric arrays become tensors of
the file, estimators their class, parameters (``get_params(deep=False)``)
and fitted attributes (or what their ``_get_safe_state`` returns), and an
estimator met twice a ``ref`` to the first. A value that the format cannot
hold raises :class:`_Unencodable`, which says where it is. What is written
obeys the rules of :mod:`sklearn_palsy.io._checks`;
:func:`~sklearn_palsy.save_model` (in :mod:`sklearn_palsy.io._safe`) puts
the result in a file.
"""

import math
import warnings

import numpy as np

from ._checks import (
    _SCALAR_DTYPE,
    _SKIPPED_ATTRIBUTES,
    _TENSOR_DTYPES,
    _attribute_problem,
    _class_name,
    _Invalid,
    _resolve_class,
)
from ._registry import registered_folder_parameters


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
