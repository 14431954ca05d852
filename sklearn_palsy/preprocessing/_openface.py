"""Import of OpenFace 2.x output: action units and landmarks."""

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ManifestError
from ..utils._compat import StrOptions, _fit_context

__all__ = ["OpenFaceActionUnits", "read_openface_csv"]

_AU_INTENSITY = re.compile(r"^AU\d{2}_r$")
_AU_PRESENCE = re.compile(r"^AU\d{2}_c$")


def read_openface_csv(path):
    """Read a CSV written by OpenFace 2.x (FeatureExtraction or FaceLandmarkImg).

    OpenFace pads its column names with spaces (``" AU01_r"``); they are
    stripped here.

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``frame``: the whole table, one row per face (and frame);
        - ``au_intensity``: DataFrame of the ``AUxx_r`` columns (0-5);
        - ``au_presence``: DataFrame of the ``AUxx_c`` columns (0 or 1);
        - ``landmarks``: ndarray of shape (n_rows, 68, 2) from ``x_0..x_67``
          and ``y_0..y_67``, in pixels;
        - ``confidence``: ndarray of the tracker's confidence per row;
        - ``success``: boolean ndarray, whether tracking succeeded.

    Raises
    ------
    ManifestError
        If the file is not an OpenFace CSV: it names the missing columns.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn_palsy.preprocessing import read_openface_csv
    >>> header = ["face", "confidence", "success"]
    >>> header += [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)]
    >>> header += ["AU01_r", "AU12_r", "AU01_c", "AU12_c"]
    >>> row = [0, 0.98, 1] + list(range(68)) + list(range(68)) + [1.5, 2.0, 1, 1]
    >>> path = os.path.join(tempfile.mkdtemp(), "face.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write(", ".join(header) + "\\n" + ", ".join(map(str, row)) + "\\n")
    >>> data = read_openface_csv(path)
    >>> list(data.au_intensity.columns), data.landmarks.shape
    (['AU01_r', 'AU12_r'], (1, 68, 2))
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"OpenFace CSV not found: {str(path)!r}")
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    intensity = [c for c in frame.columns if _AU_INTENSITY.match(c)]
    presence = [c for c in frame.columns if _AU_PRESENCE.match(c)]
    landmark_columns = [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)]
    missing = [c for c in ["confidence", "success"] if c not in frame.columns]
    missing += [c for c in landmark_columns if c not in frame.columns]
    if not intensity:
        missing.append("AUxx_r")
    if missing:
        shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        raise ManifestError(
            f"{str(path)!r} is not an OpenFace 2.x CSV: missing columns {shown}",
            source=str(path),
            problems=[(1, f"missing column {c}") for c in missing],
        )
    xs = frame[landmark_columns[:68]].to_numpy(np.float64)
    ys = frame[landmark_columns[68:]].to_numpy(np.float64)
    return Bunch(
        frame=frame,
        au_intensity=frame[intensity],
        au_presence=frame[presence],
        landmarks=np.stack([xs, ys], axis=-1),
        confidence=frame["confidence"].to_numpy(np.float64),
        success=frame["success"].to_numpy().astype(bool),
    )


class OpenFaceActionUnits(TransformerMixin, BaseEstimator):
    """Select OpenFace action-unit intensities as the structured modality.

    Takes either an OpenFace table (a DataFrame as in
    ``read_openface_csv(path).frame``, one row per image) or a 1-D array of
    image paths; for paths, the CSV that OpenFace's ``FaceLandmarkImg`` wrote
    for each image (``<stem>.csv``) is looked up in ``csv_dir``, or beside the
    image, and its most confident face is used.

    Parameters
    ----------
    kind : {"intensity", "presence", "both"}, default="intensity"
        ``AUxx_r`` intensities (0-5), ``AUxx_c`` presence (0/1), or both.
    csv_dir : str or path-like, default=None
        Where the per-image CSVs are, for path input; None means beside each
        image.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        The action-unit columns selected, in order.
    n_features_in_ : int
        Number of columns of the table seen in ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy.preprocessing import OpenFaceActionUnits
    >>> table = pd.DataFrame({"confidence": [0.9, 0.8], "AU01_r": [0.5, 1.0],
    ...                       "AU12_r": [2.0, 0.0], "AU12_c": [1, 0]})
    >>> OpenFaceActionUnits().fit_transform(table).tolist()
    [[0.5, 2.0], [1.0, 0.0]]
    """

    _parameter_constraints = {
        "kind": [StrOptions({"intensity", "presence", "both"})],
        "csv_dir": [str, os.PathLike, None],
    }

    def __init__(self, *, kind="intensity", csv_dir=None):
        self.kind = kind
        self.csv_dir = csv_dir

    def _pattern_match(self, column):
        if self.kind in ("intensity", "both") and _AU_INTENSITY.match(column):
            return True
        return self.kind in ("presence", "both") and bool(_AU_PRESENCE.match(column))

    def _table(self, X):
        if isinstance(X, pd.DataFrame):
            table = X.copy()
            table.columns = [str(c).strip() for c in table.columns]
            return table
        rows = []
        for image in np.asarray(X, dtype=object).ravel():
            image = Path(image)
            folder = Path(self.csv_dir) if self.csv_dir is not None else image.parent
            data = read_openface_csv(folder / f"{image.stem}.csv")
            if len(data.frame) == 0:
                raise ManifestError(
                    f"OpenFace found no face in {str(image)!r}", source=str(image)
                )
            rows.append(data.frame.iloc[int(np.argmax(data.confidence))])
        return pd.DataFrame(rows).reset_index(drop=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the action-unit columns.

        Parameters
        ----------
        X : DataFrame or array-like of image paths
            OpenFace output, or the images it was run on.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        table = self._table(X)
        columns = [c for c in table.columns if self._pattern_match(c)]
        if not columns:
            raise ValueError(
                f"no OpenFace action-unit columns of kind {self.kind!r} in the input"
            )
        self.feature_names_out_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = table.shape[1]
        return self

    def transform(self, X):
        """Return the selected action units.

        Parameters
        ----------
        X : DataFrame or array-like of image paths
            OpenFace output, or the images it was run on.

        Returns
        -------
        features : ndarray of shape (n_samples, n_action_units)
            The action-unit values, float64.
        """
        check_is_fitted(self)
        table = self._table(X)
        missing = [c for c in self.feature_names_out_ if c not in table.columns]
        if missing:
            raise ValueError(f"action-unit columns missing from the input: {missing}")
        values = table[list(self.feature_names_out_)].to_numpy(np.float64)
        bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
        if bad.size:
            raise ValueError(f"NaN or infinite action units in rows {bad.tolist()}")
        return values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Its input is an OpenFace table with named AU columns, or image
        # paths; an anonymous numeric matrix has no action units to select.
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        return tags

    def get_feature_names_out(self, input_features=None):
        """Return the names of the selected action units.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str
            E.g. ``["AU01_r", "AU02_r", ...]``.
        """
        check_is_fitted(self)
        return self.feature_names_out_.copy()
