"""FFNNClassifier: a skorch-wrapped feed-forward network on structured features."""

import numbers

import numpy as np
from sklearn.utils.validation import validate_data

from ..utils._compat import Interval, _fit_context
from ..utils._validation import check_label_values
from ._base import COMMON_CONSTRAINTS, BaseNeuralClassifier
from ._data import ArrayDataset, array_loader
from ._modules import MLPModule

__all__ = ["FFNNClassifier"]


class FFNNClassifier(BaseNeuralClassifier):
    """Feed-forward neural network classifier, trained with Adam.

    The paper's model for the facial expression features. Binary problems
    use one logit and binary cross-entropy with logits, as in the paper; more
    classes use cross-entropy. The skorch net is built in ``fit`` and kept as
    ``net_``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 32)
        Width of each hidden layer (ReLU, then dropout).
    dropout : float, default=0.2
        Dropout probability after each hidden layer.
    lr : float, default=1e-3
        Adam's learning rate.
    max_epochs : int, default=100
        Passes over the training data.
    batch_size : int, default=32
        Mini-batch size.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the loss; "balanced" weights them inversely
        to their frequency, for imbalanced cohorts.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved for ``n_iter_no_change`` epochs, keeping the
        best epoch's weights. With ``groups`` passed to ``fit``, whole
        patients are held out.
    validation_fraction : float, default=0.2
        Share held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    device : str, default="cpu"
        Torch device, e.g. "cuda".
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation
        split; the same int gives bit-identical predictions on CPU with the
        same number of torch threads (``torch.get_num_threads()``; Dask
        workers run with one).
    verbose : int, default=0
        1 prints skorch's table of epochs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Names of the features seen in ``fit``, when X had string column names.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.history`` holds the training curves.
    n_epochs_ : int
        Epochs actually run.

    See Also
    --------
    ResNetClassifier : The image model.
    ExpressionFeatures : Features to feed it.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_palsy import FFNNClassifier
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> clf = FFNNClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.embed(X[:2]).shape
    (2, 32)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [tuple, list],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        **COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(64, 32),
        dropout=0.2,
        lr=1e-3,
        max_epochs=100,
        batch_size=32,
        weight_decay=0.0,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.2,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def check_input(self, X, *, reset=False):
        X = validate_data(self, X, reset=reset, dtype="float32",
                          ensure_all_finite=False)
        finite = np.isfinite(X).all(axis=1)
        if not finite.all():
            rows = np.flatnonzero(~finite)
            kind = "NaN" if np.isnan(X[rows]).any() else "infinity"
            raise ValueError(
                f"Input X contains {kind} (or a value too large for float32) in "
                f"rows {rows[:10].tolist()}{' ...' if len(rows) > 10 else ''} "
                f"({len(rows)} of {len(X)}); {type(self).__name__} needs finite "
                "features. Impute them (sklearn.impute.SimpleImputer) or drop "
                "those images."
            )
        return X

    def make_dataset(self, X, y=None, sample_weight=None, *, training=False):
        return ArrayDataset(X, y, sample_weight, binary=len(self.classes_) == 2)

    def _extra_net_params(self):
        # Mini-batches by one tensor indexing, not row by row.
        return {"iterator_train": array_loader, "iterator_valid": array_loader}

    def build_module(self, train=None, *, n_outputs=1, pretrained=True):
        sizes = tuple(int(size) for size in self.hidden_layer_sizes)
        if any(size < 1 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive; got {sizes}")
        return MLPModule, {
            "n_features": self.n_features_in_,
            "hidden_layer_sizes": sizes,
            "dropout": self.dropout,
            "n_outputs": n_outputs,
        }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Labels, numbers or strings.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (e.g. to count every patient
            equally however many images they have); >= 0 and not all 0.
        groups : array-like of shape (n_samples,), default=None
            Patient ids, all numbers or all text, none missing; with
            ``early_stopping`` the validation part holds out whole patients.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        # Missing labels named by row before scikit-learn's "Input y contains NaN".
        check_label_values(y, type(self).__name__)
        X, y = validate_data(self, X, y, dtype="float32")
        return self._fit_net(X, y, sample_weight=sample_weight, groups=groups)
