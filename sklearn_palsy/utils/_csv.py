"""CSV output that is never half-written and never runs as a spreadsheet formula.

Every CSV that sklearn-palsy writes (features, predictions, failure lists,
result tables, the synthetic cohort's manifest) goes through
:func:`write_csv_atomic`. File names, patient ids and class labels come from
users' folders and manifests; a cell such as ``=HYPERLINK(...)`` or
``@SUM(...)`` would run as a formula when the CSV is opened in a spreadsheet
(CSV injection). Such cells are escaped by the OWASP rule: a single quote is
put in front, so the spreadsheet shows the text as it was.
"""

import re

import pandas as pd

from ._atomic import atomic_write

__all__ = ["escape_formula", "escape_formulas", "write_csv_atomic"]

# What a spreadsheet takes as the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text that is only a number is read as that number, not as a formula, so a
# label "-1" or a value "+0.5" in a text column is left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def escape_formula(value):
    """Return ``value`` with a leading single quote if it would start a formula.

    Parameters
    ----------
    value : object
        A cell. Only strings are changed.

    Returns
    -------
    value : object

    Examples
    --------
    >>> from sklearn_palsy.utils._csv import escape_formula
    >>> escape_formula("=1+2")
    "'=1+2"
    >>> escape_formula("@SUM(A1)"), escape_formula("-1"), escape_formula("P01")
    ("'@SUM(A1)", '-1', 'P01')
    >>> escape_formula(-0.5)
    -0.5
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def escape_formulas(frame):
    """Return a copy of ``frame`` whose text cells and names cannot start a formula.

    Numeric columns are left as numbers: a number is never a formula, and
    escaping it would make the column text.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    frame : pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy.utils._csv import escape_formulas
    >>> frame = pd.DataFrame({"image": ["=cmd|' /C calc'!A0", "a.png"],
    ...                       "score": [-0.5, 0.25]})
    >>> escape_formulas(frame).to_dict("list")
    {'image': ["'=cmd|' /C calc'!A0", 'a.png'], 'score': [-0.5, 0.25]}
    """
    escaped = frame.copy()
    for column in escaped.columns:
        values = escaped[column]
        if not (pd.api.types.is_numeric_dtype(values)
                or pd.api.types.is_bool_dtype(values)
                or pd.api.types.is_datetime64_any_dtype(values)):
            if isinstance(values.dtype, pd.CategoricalDtype):
                escaped[column] = values.cat.rename_categories(
                    [escape_formula(c) for c in values.cat.categories])
            else:
                escaped[column] = values.map(escape_formula).astype(values.dtype)
    escaped.columns = [escape_formula(str(name)) for name in escaped.columns]
    return escaped


def write_csv_atomic(frame, path):
    """Write a DataFrame to CSV, atomically and with formula cells escaped.

    The CSV goes to a temporary file in the same folder, then replaces
    ``path`` in one :func:`os.replace`: readers see the old file or the new
    one, and an interrupted write leaves no partial CSV behind. Text cells
    that would start a spreadsheet formula are escaped
    (:func:`escape_formulas`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Written without its index.
    path : str or path-like
        Destination; its folder is created when missing.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from pathlib import Path
    >>> from sklearn_palsy.utils._csv import write_csv_atomic
    >>> path = Path(tempfile.mkdtemp()) / "out.csv"
    >>> write_csv_atomic(pd.DataFrame({"a": [1, 2], "b": ["x", "@y"]}), path)
    >>> path.read_text().splitlines()
    ['a,b', '1,x', "2,'@y"]
    """
    escaped = escape_formulas(frame)
    atomic_write(path, lambda handle: escaped.to_csv(handle, index=False), "w")
