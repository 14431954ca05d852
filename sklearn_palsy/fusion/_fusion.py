"""Multimodal fusion: the paper's intermediate fusion, and late fusion.

- :class:`IntermediateFusionClassifier` joins the trunks of several neural
  classifiers (each at the end of its own view pipeline) under one head,
  trained end to end; its parameters come from scikit-learn's
  ``_BaseComposition``, as :class:`~sklearn.ensemble.VotingClassifier`'s do.
- :func:`make_late_fusion` is scikit-learn's own
  :class:`~sklearn.ensemble.VotingClassifier` (soft voting) over such
  pipelines, or :class:`PatientStackingClassifier`, scikit-learn's
  :class:`~sklearn.ensemble.StackingClassifier` with inner folds that keep
  each patient's images together.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.utils.data import Dataset

from ..neural._base import COMMON_CONSTRAINTS, BaseNeuralClassifier
from ..utils._compat import Interval, _BaseComposition, _fit_context
from ..utils._validation import (
    check_classification_labels,
    check_groups,
    check_sample_weight,
)

__all__ = [
    "FusionModule",
    "IntermediateFusionClassifier",
    "PatientStackingClassifier",
    "make_late_fusion",
]


class FusionModule(nn.Module):
    """Branch trunks whose embeddings are concatenated and fed to a joint head.

    Parameters
    ----------
    branches : dict of str to (type, dict)
        For each branch, a module class with ``embed`` and ``n_embedding``
        (such as :class:`~sklearn_palsy.neural.MLPModule` or
        :class:`~sklearn_palsy.neural.ResNetModule`) and its parameters. Each
        branch module's own head is built but not used.
    head_hidden_layer_sizes : tuple of int, default=(64,)
        Hidden layers of the joint head (ReLU and dropout after each).
    dropout : float, default=0.2
        Dropout in the joint head.
    n_outputs : int, default=1
        One logit for binary problems, one per class otherwise.
    """

    def __init__(self, branches, head_hidden_layer_sizes=(64,), dropout=0.2,
                 n_outputs=1):
        super().__init__()
        self.branches = nn.ModuleDict(
            {name: module(**params) for name, (module, params) in branches.items()}
        )
        layers, width = [], sum(m.n_embedding for m in self.branches.values())
        for size in head_hidden_layer_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.fusion_trunk = nn.Sequential(*layers)
        self.n_embedding = width
        self.n_outputs = n_outputs
        self.head = nn.Linear(width, n_outputs)

    def embed(self, X):
        """Concatenate the branches' embeddings and pass them through the head's
        hidden layers; ``X`` is a dict of the branches' inputs."""
        joint = torch.cat(
            [self.branches[name].embed(X[name]) for name in self.branches], dim=1
        )
        return self.fusion_trunk(joint)

    def forward(self, sample_weight=None, **inputs):
        logits = self.head(self.embed(inputs))
        return logits.squeeze(-1) if self.n_outputs == 1 else logits


class _FusionDataset(Dataset):
    """Zip the branches' datasets: item i is every branch's input for sample i."""

    def __init__(self, datasets, y, sample_weight):
        self.datasets = datasets
        first = next(iter(datasets.values()))
        self.y = first.y if y is None else y
        self.sample_weight = first.sample_weight

    def __len__(self):
        return len(self.y)

    def __getitem__(self, index):
        inputs = {name: data[index][0]["X"] for name, data in self.datasets.items()}
        if self.sample_weight is not None:
            inputs["sample_weight"] = self.sample_weight[index]
        return inputs, self.y[index]


def _n_samples(X):
    if hasattr(X, "shape"):
        return X.shape[0]
    return len(X)


def _is_drop(estimator):
    return isinstance(estimator, str) and estimator == "drop"


def _split_branch(name, estimator):
    """A branch's view (its pipeline but the last step) and its network."""
    if isinstance(estimator, Pipeline):
        network = estimator.steps[-1][1]
        view = estimator[:-1] if len(estimator.steps) > 1 else "passthrough"
    else:
        view, network = "passthrough", estimator
    if not isinstance(network, BaseNeuralClassifier):
        raise TypeError(
            f"branch {name!r}: intermediate fusion joins the trunks of this "
            "package's neural classifiers (FFNNClassifier, ResNetClassifier), "
            "alone or as the last step of a Pipeline; got "
            f"{type(network).__name__}. make_late_fusion takes any classifier."
        )
    return view, network


class IntermediateFusionClassifier(BaseNeuralClassifier, _BaseComposition):
    """The paper's fusion: neural trunks joined under one head, trained together.

    Each branch is a ``(name, estimator)`` pair, as in
    :class:`~sklearn.ensemble.VotingClassifier`: the estimator is a neural
    classifier of this package, or a :class:`~sklearn.pipeline.Pipeline`
    whose steps turn the shared input ``X`` (usually image paths) into that
    branch's view (line images, expression features, face crops) and whose
    last step is the neural classifier. Each classifier contributes its
    network's trunk (the network without its final layer); the trunks'
    embeddings are concatenated and a joint head is trained end to end, in
    one skorch net over a dict of the branches' inputs.

    Each trunk learns at its own classifier's ``lr``, the head at this
    estimator's ``lr``. The branch classifiers' ``max_epochs``,
    ``batch_size`` and early-stopping settings are not used: this
    estimator's are. Parameters of the branches are reached as in a
    ``VotingClassifier`` of pipelines: ``lines__resnet__lr``,
    ``features__landmarks__backend``; ``set_params(lines="drop")`` leaves a
    branch out.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
        The branches: a neural classifier, a Pipeline ending in one, or
        "drop".
    head_hidden_layer_sizes : tuple of int, default=(64,)
        Hidden layers of the joint head.
    dropout : float, default=0.2
        Dropout in the joint head.
    lr, max_epochs, batch_size, weight_decay, class_weight, early_stopping, \
validation_fraction, n_iter_no_change, device, random_state, verbose
        Training of the joint net, as for :class:`~sklearn_palsy.FFNNClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    transformers_ : list
        The fitted views of the active branches (a Pipeline, or
        "passthrough" for a bare classifier).
    estimators_ : list
        The branch classifiers, configured for their views (``classes_``,
        ``n_features_in_``); their trained trunks live in
        ``net_.module_.branches``.
    named_estimators_ : Bunch
        ``estimators_`` by branch name.
    net_ : skorch.NeuralNet
        The joint net.
    n_epochs_ : int
        Epochs trained.

    See Also
    --------
    make_late_fusion : Soft voting or stacking of the same branches.
    make_paper_pipelines : The paper's configurations, ready to evaluate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_palsy import FFNNClassifier, IntermediateFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 6)).astype("float32")
    >>> y = (X[:, 0] + X[:, 3] > 0).astype(int)
    >>> def branch(columns):
    ...     return make_pipeline(FunctionTransformer(lambda X: X[:, columns]),
    ...                          FFNNClassifier(hidden_layer_sizes=(8,)))
    >>> fusion = IntermediateFusionClassifier(
    ...     [("left", branch([0, 1, 2])), ("right", branch([3, 4, 5]))],
    ...     max_epochs=5, random_state=0)
    >>> fusion.fit(X, y).predict_proba(X).shape
    (60, 2)
    >>> fusion.embed(X).shape
    (60, 64)
    """

    _parameter_constraints = {
        "estimators": [list],
        "head_hidden_layer_sizes": [tuple, list],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        **COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        estimators,
        *,
        head_hidden_layer_sizes=(64,),
        dropout=0.2,
        lr=1e-3,
        max_epochs=20,
        batch_size=32,
        weight_decay=0.0,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.2,
        n_iter_no_change=5,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.estimators = estimators
        self.head_hidden_layer_sizes = head_hidden_layer_sizes
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

    # ------------------------------------------------------------ parameters
    def get_params(self, deep=True):
        """Get the parameters, with ``<branch>__<param>`` for each branch.

        Parameters
        ----------
        deep : bool, default=True
            Include the branches and their own parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, a whole branch (``<branch>=...``) or inside one.

        Parameters
        ----------
        **params : dict
            Parameters to set.

        Returns
        -------
        self : object
            This estimator.
        """
        self._set_params("estimators", **params)
        return self

    @property
    def named_estimators(self):
        """The branches by name, as a :class:`~sklearn.utils.Bunch`."""
        return Bunch(**dict(self.estimators))

    def _active_branches(self):
        names = [name for name, _ in self.estimators]
        self._validate_names(names)
        active = [
            (name, *_split_branch(name, estimator))
            for name, estimator in self.estimators
            if not _is_drop(estimator)
        ]
        if not active:
            raise ValueError("all branches are dropped; at least one must remain")
        return active

    # ------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit the branches' views and the joint network.

        Parameters
        ----------
        X : array-like
            The shared input of every branch, usually a 1-D array of image
            paths.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss, >= 0 and not all 0.
        groups : array-like of shape (n_samples,), default=None
            Patient ids, for early stopping that holds out whole patients:
            all numbers or all text, none missing. With metadata routing on,
            a Pipeline or a search routes them here by default.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        active = self._active_branches()
        y = np.asarray(y)
        if _n_samples(X) != len(y):
            raise ValueError(f"X has {_n_samples(X)} samples but y has {len(y)}")
        # Checked before any branch's (possibly slow) face work.
        check_classification_labels(y, type(self).__name__)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y))
        if groups is not None:
            groups = check_groups(groups, len(y))
        self.classes_ = LabelEncoder().fit(y).classes_
        self._branch_names = [name for name, _, _ in active]
        self.transformers_, self.estimators_, views = [], [], {}
        for name, view, network in active:
            if isinstance(view, str):  # passthrough
                fitted, data = view, X
            else:
                fitted = clone(view)
                data = fitted.fit_transform(X, y)
            network = clone(network)
            network.classes_ = self.classes_
            views[name] = network.check_input(data, reset=True)
            self.transformers_.append(fitted)
            self.estimators_.append(network)
        self.named_estimators_ = Bunch(
            **dict(zip(self._branch_names, self.estimators_, strict=True))
        )
        return self._fit_net(views, y, sample_weight=sample_weight, groups=groups)

    # ------------------------------------------------------------ the protocol
    def check_input(self, X, *, reset=False):
        """Each branch's view of ``X``, checked by its classifier.

        Parameters
        ----------
        X : array-like
            The shared input, as for ``fit``.
        reset : bool, default=False
            Unused: the views are fitted by ``fit``.

        Returns
        -------
        views : dict of str to ndarray or list
            The branches' inputs by name.
        """
        check_is_fitted(self, "transformers_")
        views = {}
        for name, view, network in zip(
            self._branch_names, self.transformers_, self.estimators_, strict=True
        ):
            data = X if isinstance(view, str) else view.transform(X)
            views[name] = network.check_input(data, reset=False)
        return views

    def make_dataset(self, X, y=None, sample_weight=None, *, training=False):
        """The branches' datasets, zipped: item i holds every branch's input.

        Parameters
        ----------
        X : dict of str to ndarray or list
            The views returned by :meth:`check_input`.
        y, sample_weight, training
            As for :meth:`BaseNeuralClassifier.make_dataset`.

        Returns
        -------
        dataset : torch.utils.data.Dataset
            Items ``({branch: tensor, ...[, "sample_weight": w]}, y)``.
        """
        datasets = {
            name: network.make_dataset(X[name], y, sample_weight, training=training)
            for name, network in zip(self._branch_names, self.estimators_, strict=True)
        }
        first = next(iter(datasets.values()))
        return _FusionDataset(datasets, first.y, first.sample_weight)

    def build_module(self, train=None, *, n_outputs=1, pretrained=True):
        """:class:`FusionModule` over the branches' modules, and its parameters.

        Parameters
        ----------
        train : torch.utils.data.Dataset, default=None
            Unused.
        n_outputs : int, default=1
            Outputs of the joint head.
        pretrained : bool, default=True
            Passed to every branch's ``build_module``.

        Returns
        -------
        module : type
            :class:`FusionModule`.
        params : dict
            Its constructor's arguments.
        """
        branches = {
            name: network.build_module(n_outputs=1, pretrained=pretrained)
            for name, network in zip(self._branch_names, self.estimators_, strict=True)
        }
        return FusionModule, {
            "branches": branches,
            "head_hidden_layer_sizes": tuple(self.head_hidden_layer_sizes),
            "dropout": self.dropout,
            "n_outputs": n_outputs,
        }

    def _extra_net_params(self):
        # Each trunk learns at its own estimator's rate; the head at ours.
        groups = [
            (f"branches.{name}.*", {"lr": network.lr})
            for name, network in zip(self._branch_names, self.estimators_, strict=True)
        ]
        return {"optimizer__param_groups": groups}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        return tags


class PatientStackingClassifier(StackingClassifier):
    """scikit-learn's stacking, with inner folds that keep patients together.

    A :class:`~sklearn.ensemble.StackingClassifier` in every respect (same
    parameters, attributes and results) but one: ``fit`` takes the patients
    as ``groups``, and an int ``cv`` means that many
    :class:`~sklearn.model_selection.StratifiedGroupKFold` folds, so that no
    patient's images are on both sides of the split that makes the
    out-of-fold probabilities. The folds are computed once, from
    ``groups``, and given to scikit-learn's own ``fit`` as explicit
    ``(train, test)`` indices; ``sample_weight`` goes to the branches as
    there (to each branch's ``fit`` with routing off, so not to Pipelines;
    to the steps that request it with routing on).

    With metadata routing on, a Pipeline or a search routes ``groups`` here
    by default. Without ``groups`` (routing off in a search, which then uses
    them only for its own splits), the inner folds split images, with a
    warning, as scikit-learn's own stacking does.

    Parameters
    ----------
    estimators, final_estimator, stack_method, n_jobs, passthrough, verbose
        As for :class:`~sklearn.ensemble.StackingClassifier`.
    cv : int, cross-validation generator or iterable, default=5
        Inner folds; an int is the number of ``StratifiedGroupKFold`` folds.

    Attributes
    ----------
    inner_splits_ : list of (train, test) index arrays
        The inner folds used.

    See :class:`~sklearn.ensemble.StackingClassifier` for the others.

    See Also
    --------
    make_late_fusion : Builds this, or soft voting, over view pipelines.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn_palsy import PatientStackingClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> patients = np.repeat(np.arange(10), 4)
    >>> stacking = PatientStackingClassifier(
    ...     [("lr", LogisticRegression()), ("nb", GaussianNB())],
    ...     final_estimator=LogisticRegression(), cv=3)
    >>> stacking.fit(X, y, groups=patients).score(X, y) > 0.9
    True
    >>> all(not set(patients[train]) & set(patients[test])
    ...     for train, test in stacking.inner_splits_)
    True
    """

    __metadata_request__fit = {"groups": True}

    def __init__(self, estimators, final_estimator=None, *, cv=5,
                 stack_method="auto", n_jobs=None, passthrough=False, verbose=0):
        super().__init__(
            estimators, final_estimator=final_estimator, cv=cv,
            stack_method=stack_method, n_jobs=n_jobs, passthrough=passthrough,
            verbose=verbose,
        )

    def fit(self, X, y, *, groups=None, sample_weight=None):
        """Fit the branches, then the final estimator on out-of-fold probabilities.

        Parameters
        ----------
        X : array-like
            The shared input of every branch.
        y : array-like of shape (n_samples,)
            Labels.
        groups : array-like of shape (n_samples,), default=None
            Patient ids: the inner folds keep each patient's images together.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every branch and to the final estimator.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None"
            )
        y = np.asarray(y)
        check_classification_labels(y, type(self).__name__)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y))
        cv = self.cv
        if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
            cv = StratifiedGroupKFold(n_splits=int(cv))
        if groups is None:
            warnings.warn(
                "stacking without groups: the inner folds split images, not "
                "patients, so one patient's images can be on both sides. Pass "
                "groups to fit (with metadata routing on they are routed here).",
                UserWarning,
                stacklevel=2,
            )
            if isinstance(cv, StratifiedGroupKFold):
                cv = StratifiedKFold(n_splits=cv.n_splits)
        else:
            groups = check_groups(groups, len(y))
        if hasattr(cv, "split"):
            splits = list(cv.split(np.zeros((len(y), 1)), y, groups))
        else:
            splits = [(np.asarray(train), np.asarray(test)) for train, test in cv]
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        user_cv = self.cv
        self.cv = splits  # scikit-learn's fit takes explicit folds
        try:
            super().fit(X, y, **kwargs)
        finally:
            self.cv = user_cv
        self.inner_splits_ = splits
        return self

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        scikit-learn's routing to the branches, plus this estimator's own
        request: ``groups``, which make the inner folds.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return super().get_metadata_routing().add_self_request(self)


def make_late_fusion(
    estimators, *, final_estimator=None, weights=None, cv=5, n_jobs=None, verbose=0
):
    """Late fusion of classifiers: scikit-learn's soft voting or stacking.

    Each branch is fitted on its own and the branches' probabilities are
    combined:

    - without ``final_estimator``, scikit-learn's
      :class:`~sklearn.ensemble.VotingClassifier` with ``voting="soft"``:
      the (weighted) mean of the branches' probabilities;
    - with one, a :class:`PatientStackingClassifier`: scikit-learn's
      :class:`~sklearn.ensemble.StackingClassifier` whose meta learner is
      fitted on the branches' out-of-fold probabilities, from inner folds
      that keep each patient's images together (pass ``groups`` to ``fit``;
      with metadata routing on, searches route them there).

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
        The branches: classifiers with ``predict_proba``, usually Pipelines
        from a shared input (image paths) to a classifier; "drop" leaves one
        out.
    final_estimator : classifier, default=None
        Meta learner for stacking; None averages the probabilities.
    weights : array-like of shape (n_estimators,), default=None
        Weights of the branches in the mean (voting only); None weighs
        them equally.
    cv : int or cross-validation generator, default=5
        Inner folds for stacking; an int is the number of
        ``StratifiedGroupKFold`` folds.
    n_jobs : int, default=None
        Branches fitted in parallel (see scikit-learn's ``n_jobs``).
    verbose : int, default=0
        Verbosity.

    Returns
    -------
    fusion : VotingClassifier or PatientStackingClassifier
        Unfitted.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_palsy import FFNNClassifier, make_late_fusion
    >>> voting = make_late_fusion([("a", FFNNClassifier()), ("b", FFNNClassifier())],
    ...                           weights=[0.3, 0.7])
    >>> type(voting).__name__, voting.voting
    ('VotingClassifier', 'soft')
    >>> stacking = make_late_fusion([("a", FFNNClassifier())],
    ...                             final_estimator=LogisticRegression(), cv=3)
    >>> type(stacking).__name__, stacking.cv, stacking.stack_method
    ('PatientStackingClassifier', 3, 'predict_proba')
    """
    if final_estimator is None:
        return VotingClassifier(
            estimators, voting="soft", weights=weights, n_jobs=n_jobs,
            verbose=bool(verbose),
        )
    if weights is not None:
        raise ValueError(
            "weights set the mean of the branches' probabilities; with a "
            "final_estimator the stacking learns how to combine them. Give one "
            "or the other."
        )
    return PatientStackingClassifier(
        estimators, final_estimator=final_estimator, cv=cv,
        stack_method="predict_proba", n_jobs=n_jobs, verbose=verbose,
    )
