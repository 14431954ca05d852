"""Model files: the safe format, joblib, and the choice between them by extension.

- ``save_model`` and ``load_model`` (documented as
  :func:`sklearn_palsy.save_model` and :func:`sklearn_palsy.load_model`,
  where they are re-exported) write and read the safe format: one
  `safetensors <https://huggingface.co/docs/safetensors>`_ file whose
  metadata describes the estimators in JSON, which loads without running
  code from the file.
- :func:`save_model_joblib` and :func:`load_model_joblib` write and read
  joblib files, which hold any estimator but are pickles: **loading one runs
  code chosen by whoever wrote it.** Load only files you made yourself or
  that come from a source you trust as much as the code you install.
- :func:`save_model_file` and :func:`load_model_file` choose between the two
  by the file's extension: ``.safetensors``, or ``.joblib`` and ``.pkl``.
  The command line saves and loads models through them.
- :func:`make_model_card`, :func:`write_model_card` and
  :func:`read_model_card`: the model card beside a model file
  (``<stem>.card.json`` and ``<stem>.card.md``), which says what the model
  was trained on, how it scored and what it must not be used for.

The safe format loads only estimator classes that registered modules export
(``sklearn_palsy`` and scikit-learn's estimator modules from the start), and
never lets a file set parameters that name folders of pickled files
(``cache_dir``, ``memory``). :func:`register_estimator_module` and
:func:`register_folder_parameter` add to these lists; nothing in a model
file can.

What a model file may declare is bounded before anything is allocated for
it, by the ``MAX_*`` limits below. Each is far above what real models need
(measured on the paper's pipelines: a header of 30 kB, a config 18 levels
deep with 1,200 values, 45 MB of tensors) and far below what would exhaust
a machine. They are read here at each call: to load a larger file that you
trust, raise one first (``sklearn_palsy.io.MAX_TENSOR_BYTES = 2**33``).
"""

from ._dispatch import load_model_file, save_model_file
from ._joblib import load_model_joblib, save_model_joblib
from ._model_card import (
    CARD_FORMAT,
    TRIPOD_AI_ITEMS,
    ModelCard,
    make_model_card,
    model_card_paths,
    read_model_card,
    write_model_card,
)
from ._registry import (
    register_estimator_module,
    register_folder_parameter,
    registered_estimator_modules,
    registered_folder_parameters,
)
from ._safe import FORMAT, FORMAT_VERSION, load_model, save_model

__all__ = [
    "CARD_FORMAT",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_CONFIG_DEPTH",
    "MAX_CONFIG_NODES",
    "MAX_HEADER_BYTES",
    "MAX_INLINE_BYTES",
    "MAX_INLINE_ELEMENTS",
    "MAX_TENSOR_BYTES",
    "ModelCard",
    "TRIPOD_AI_ITEMS",
    "load_model",
    "load_model_file",
    "load_model_joblib",
    "make_model_card",
    "model_card_paths",
    "read_model_card",
    "register_estimator_module",
    "register_folder_parameter",
    "registered_estimator_modules",
    "registered_folder_parameters",
    "save_model",
    "save_model_file",
    "save_model_joblib",
    "write_model_card",
]

# The limits live here, not in the module that checks them, so that setting
# one on the package is seen by every check.
#: Bytes of the safetensors header, which holds the metadata and the config.
#: Long training histories (one entry per batch) make it grow by a few MB.
MAX_HEADER_BYTES = 2**26
#: Bytes of all the tensors together: weights and fitted numeric arrays. A
#: ResNet-50 (25M parameters, float32) takes about 100 MB.
MAX_TENSOR_BYTES = 2**31
#: Nesting depth of the config's JSON (each list or object is a level). A
#: Python dict in a fitted attribute is three levels (node, items, pair).
MAX_CONFIG_DEPTH = 100
#: Number of JSON values (objects, lists, strings, numbers...) in the config,
#: bounded from its separators before it is parsed. A long training history
#: takes a few values per batch.
MAX_CONFIG_NODES = 2**22
#: Elements of the arrays written inline in the config (arrays of strings
#: or objects, such as ``classes_`` of string labels) and numpy scalars.
#: Numeric arrays are tensors, whatever their size.
MAX_INLINE_ELEMENTS = 2**20
#: Bytes that those inline arrays, numpy scalars and dtypes declare: elements
#: times itemsize, where a string dtype ``<Un`` takes ``4 n`` bytes an element.
MAX_INLINE_BYTES = 2**26
