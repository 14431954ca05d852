"""FusionClassifier: multimodal fusion of neural branches, FeatureUnion style."""

import numbers
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.utils.data import Dataset

from ..neural._base import COMMON_CONSTRAINTS, NeuralClassifierMixin
from ..utils._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _BaseComposition,
    _fit_context,
    _safe_indexing,
)
from ..utils._validation import check_groups, check_sample_weight

__all__ = ["FusionClassifier", "FusionModule"]


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
    if isinstance(X, np.ndarray) or hasattr(X, "shape"):
        return X.shape[0]
    return len(X)


class FusionClassifier(NeuralClassifierMixin, _BaseComposition):
    """Fuse several modalities of the same images into one classifier.

    Every branch is a ``(name, transformer, estimator)`` triple, as in
    :class:`~sklearn.compose.ColumnTransformer`: the transformer turns the
    shared input ``X`` (usually image paths) into that branch's view — line
    images, expression features, face crops — and the estimator models it.

    - ``fusion="intermediate"`` is the paper's model: each branch estimator
      contributes its network's trunk (the network without its final layer);
      the trunks' embeddings are concatenated and a joint head is trained end
      to end, in one skorch net over a dict of the branches' inputs. Each
      trunk learns with its own estimator's ``lr``; the head with this
      estimator's ``lr``. The branches' ``max_epochs``, ``batch_size`` and
      early-stopping settings are not used: this estimator's are.
    - ``fusion="late"`` fits the branches separately and combines their
      probabilities: by a weighted mean (``weights``), or, when
      ``final_estimator`` is given, by a stacking meta-learner fitted on
      out-of-fold predictions. The inner folds keep each patient's images
      together when ``groups`` reach ``fit``.

    Parameters
    ----------
    branches : list of (str, transformer, estimator) tuples
        The transformer may be "passthrough"; a whole branch may be "drop"
        (as the estimator). For intermediate fusion the estimators must be
        this package's neural classifiers (:class:`~sklearn_palsy.FFNNClassifier`,
        :class:`~sklearn_palsy.ResNetClassifier`); late fusion takes any
        classifier with ``predict_proba``.
    fusion : {"intermediate", "late"}, default="intermediate"
        Where the modalities meet.
    head_hidden_layer_sizes : tuple of int, default=(64,)
        Hidden layers of the joint head (intermediate fusion).
    dropout : float, default=0.2
        Dropout in the joint head.
    weights : array-like of shape (n_branches,), default=None
        Weights of the branches' probabilities in late fusion; None weighs
        them equally.
    final_estimator : classifier, default=None
        Stacking meta-learner for late fusion, fitted on the branches'
        out-of-fold probabilities; None uses the weighted mean.
    cv : int, default=5
        Inner folds for stacking:
        :class:`~sklearn.model_selection.StratifiedGroupKFold`
        with groups, else stratified folds (with a warning).
    lr, max_epochs, batch_size, weight_decay, class_weight, early_stopping, \
validation_fraction, n_iter_no_change, device, random_state, verbose
        Training of the joint net, as for :class:`~sklearn_palsy.FFNNClassifier`.
        In late fusion ``random_state`` also seeds every branch estimator
        (or step of a branch pipeline) whose own ``random_state`` is None.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    transformers_ : list
        The fitted transformers of the active branches.
    estimators_ : list
        Late fusion: the fitted branch classifiers. Intermediate fusion: the
        branch estimators configured for their inputs; their trained trunks
        live in ``net_.module_.branches``.
    named_estimators_ : Bunch
        ``estimators_`` by branch name.
    net_ : skorch.NeuralNet
        The joint net (intermediate fusion).
    final_estimator_ : classifier
        The fitted meta-learner (stacking).
    inner_splits_ : list of (train, test) index arrays
        The inner folds used for stacking.

    See Also
    --------
    make_paper_pipelines : The paper's configurations, ready to evaluate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_palsy import FFNNClassifier, FusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 6)).astype("float32")
    >>> y = (X[:, 0] + X[:, 3] > 0).astype(int)
    >>> left = FunctionTransformer(lambda X: X[:, :3])
    >>> right = FunctionTransformer(lambda X: X[:, 3:])
    >>> fusion = FusionClassifier(
    ...     [("left", left, FFNNClassifier(hidden_layer_sizes=(8,))),
    ...      ("right", right, FFNNClassifier(hidden_layer_sizes=(8,)))],
    ...     max_epochs=5, random_state=0)
    >>> fusion.fit(X, y).predict_proba(X).shape
    (60, 2)
    """

    _parameter_constraints = {
        "branches": [list],
        "fusion": [StrOptions({"intermediate", "late"})],
        "head_hidden_layer_sizes": [tuple, list],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "weights": ["array-like", None],
        "final_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        **COMMON_CONSTRAINTS,
    }

    # Inner splitters need the patients: with metadata routing on, groups are
    # routed to fit by default.
    __metadata_request__fit = {"groups": True}

    def __init__(
        self,
        branches,
        *,
        fusion="intermediate",
        head_hidden_layer_sizes=(64,),
        dropout=0.2,
        weights=None,
        final_estimator=None,
        cv=5,
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
        self.branches = branches
        self.fusion = fusion
        self.head_hidden_layer_sizes = head_hidden_layer_sizes
        self.dropout = dropout
        self.weights = weights
        self.final_estimator = final_estimator
        self.cv = cv
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
        """Get the parameters, with ``<branch>__<param>`` for each branch's
        estimator and ``<branch>__transformer__<param>`` for its transformer.

        Parameters
        ----------
        deep : bool, default=True
            Include the branches' own parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super(_BaseComposition, self).get_params(deep=False)
        if not deep:
            return params
        for name, transformer, estimator in self.branches:
            params[name] = estimator
            if hasattr(estimator, "get_params"):
                for key, value in estimator.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
            params[f"{name}__transformer"] = transformer
            if hasattr(transformer, "get_params"):
                for key, value in transformer.get_params(deep=True).items():
                    params[f"{name}__transformer__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters, including ``<branch>__...`` nested ones.

        ``<branch>=estimator`` (or "drop") replaces a branch's estimator and
        ``<branch>__transformer=...`` its transformer, as for the steps of a
        :class:`~sklearn.pipeline.Pipeline`.

        Parameters
        ----------
        **params : dict
            Parameters to set.

        Returns
        -------
        self : object
            This estimator.
        """
        branches = params.pop("branches", self.branches)
        names = [branch[0] for branch in branches] if isinstance(branches, list) else []
        own, nested = {}, {}
        for key, value in params.items():
            if key.split("__", 1)[0] in names:
                nested[key] = value
            else:
                own[key] = value
        if nested:
            branches = [list(branch) for branch in branches]
            for key, value in nested.items():
                name, _, rest = key.partition("__")
                branch = branches[names.index(name)]
                if rest == "":
                    branch[2] = value
                elif rest == "transformer":
                    branch[1] = value
                elif rest.startswith("transformer__"):
                    branch[1].set_params(**{rest[len("transformer__"):]: value})
                else:
                    branch[2].set_params(**{rest: value})
            branches = [tuple(branch) for branch in branches]
        # Keep the very object the caller passed when nothing inside changed.
        self.branches = branches
        super(_BaseComposition, self).set_params(**own)
        return self

    # ------------------------------------------------------------ checks
    def _active_branches(self):
        names = [branch[0] for branch in self.branches]
        self._validate_names(names)
        reserved = set(self._parameter_constraints)
        clash = sorted(set(names) & reserved)
        if clash:
            raise ValueError(f"branch names {clash} clash with parameter names")
        active = []
        for name, transformer, estimator in self.branches:
            if isinstance(estimator, str) and estimator == "drop":
                continue
            if isinstance(transformer, str) and transformer == "drop":
                continue
            if not (
                (isinstance(transformer, str) and transformer == "passthrough")
                or hasattr(transformer, "transform")
            ):
                raise TypeError(
                    f"branch {name!r}: the transformer must have fit and transform, "
                    f"or be 'passthrough' or 'drop'; got {transformer!r}"
                )
            if self.fusion == "intermediate" and not isinstance(
                estimator, NeuralClassifierMixin
            ):
                raise TypeError(
                    f"branch {name!r}: intermediate fusion needs a neural estimator "
                    "of this package (FFNNClassifier or ResNetClassifier); got "
                    f"{type(estimator).__name__}. Use fusion='late' for others."
                )
            if self.fusion == "late" and not hasattr(estimator, "predict_proba"):
                raise TypeError(
                    f"branch {name!r}: late fusion needs predict_proba; "
                    f"{type(estimator).__name__} has none"
                )
            active.append((name, transformer, estimator))
        if not active:
            raise ValueError("all branches are dropped; at least one must remain")
        if self.weights is not None and len(self.weights) != len(active):
            raise ValueError(
                f"weights has {len(self.weights)} entries for {len(active)} active "
                "branches"
            )
        return active

    @staticmethod
    def _fit_transformer(transformer, X, y):
        if isinstance(transformer, str):  # passthrough
            return transformer, X
        fitted = clone(transformer)
        return fitted, fitted.fit_transform(X, y)

    @staticmethod
    def _apply(transformer, X):
        return X if isinstance(transformer, str) else transformer.transform(X)

    # ------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit the branches' transformers and the fused model.

        Parameters
        ----------
        X : array-like
            The shared input of every branch, usually a 1-D array of image
            paths.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss, >= 0 and not all 0. Late
            fusion passes them to every branch estimator whose ``fit``
            takes them, and to ``final_estimator``.
        groups : array-like of shape (n_samples,), default=None
            Patient ids, for inner splits (early stopping, stacking) that keep
            each patient's images together: all numbers or all text, none
            missing. With metadata routing on, a grid search routes them here
            by default.

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
        check_classification_targets(y)
        if len(np.unique(y)) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got 1 class: "
                f"{np.unique(y).tolist()}"
            )
        # Checked here too: late fusion hands them to estimators that may not.
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y))
        if groups is not None:
            groups = check_groups(groups, len(y))
        self.transformers_, views = [], {}
        for name, transformer, _ in active:
            fitted, view = self._fit_transformer(transformer, X, y)
            self.transformers_.append(fitted)
            views[name] = view
        self._branch_names = [name for name, _, _ in active]
        if self.fusion == "late":
            return self._fit_late(active, views, y, sample_weight, groups)
        self.estimators_ = [clone(estimator) for _, _, estimator in active]
        self.named_estimators_ = Bunch(
            **dict(zip(self._branch_names, self.estimators_, strict=True))
        )
        # Each branch estimator checks its own view once, here.
        from sklearn.preprocessing import LabelEncoder

        self.classes_ = LabelEncoder().fit(y).classes_
        for estimator, name in zip(self.estimators_, self._branch_names, strict=True):
            estimator.classes_ = self.classes_
            views[name] = estimator._check_X(views[name], reset=True)
        return self._fit_net(views, y, sample_weight=sample_weight, groups=groups)

    def _seeded_branches(self, active):
        """Clones of the branch estimators; unseeded ones get a seed from ours.

        As scikit-learn's ensembles do: a ``random_state`` left at None in a
        branch (or in a step of a branch pipeline) is set from the
        FusionClassifier's own ``random_state``, so that the same int gives
        the same late fusion. Seeds set on a branch are kept.
        """
        estimators = [clone(estimator) for _, _, estimator in active]
        if self.random_state is None:
            return estimators
        seeds = check_random_state(self.random_state).randint(
            np.iinfo(np.int32).max, size=len(estimators)
        )
        for estimator, seed in zip(estimators, seeds, strict=True):
            unseeded = {
                key: int(seed)
                for key, value in estimator.get_params(deep=True).items()
                if (key == "random_state" or key.endswith("__random_state"))
                and value is None
            }
            estimator.set_params(**unseeded)
        return estimators

    def _fit_late(self, active, views, y, sample_weight, groups):
        branches = self._seeded_branches(active)
        self.estimators_ = []
        for (name, _, _), estimator in zip(active, branches, strict=True):
            self.estimators_.append(
                self._fit_branch(
                    clone(estimator), views[name], y, sample_weight, groups
                )
            )
        self.named_estimators_ = Bunch(
            **dict(zip(self._branch_names, self.estimators_, strict=True))
        )
        self.classes_ = self.estimators_[0].classes_
        if self.final_estimator is None:
            return self
        if groups is None:
            warnings.warn(
                "stacking without groups: the inner folds split images, not "
                "patients, so one patient's images can be on both sides. Pass "
                "groups to fit (with metadata routing on they are routed here).",
                UserWarning,
                stacklevel=3,
            )
            splitter = StratifiedKFold(n_splits=self.cv)
        else:
            # Stratified, so that no inner training fold lacks a class.
            splitter = StratifiedGroupKFold(n_splits=self.cv)
        self.inner_splits_ = list(splitter.split(np.zeros(len(y)), y, groups))
        meta = np.zeros((len(y), self._n_meta_columns()))
        for train, test in self.inner_splits_:
            fold = []
            for (name, _, _), estimator in zip(active, branches, strict=True):
                fitted = self._fit_branch(
                    clone(estimator), _safe_indexing(views[name], train), y[train],
                    None if sample_weight is None else np.asarray(sample_weight)[train],
                    None if groups is None else groups[train],
                )
                fold.append(fitted.predict_proba(_safe_indexing(views[name], test)))
            meta[test] = self._meta_features(fold)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.final_estimator_ = clone(self.final_estimator).fit(meta, y, **kwargs)
        return self

    @staticmethod
    def _fit_branch(estimator, X, y, sample_weight, groups):
        import inspect

        accepted = inspect.signature(estimator.fit).parameters
        kwargs = {}
        if sample_weight is not None and "sample_weight" in accepted:
            kwargs["sample_weight"] = sample_weight
        if groups is not None and "groups" in accepted:
            kwargs["groups"] = groups
        return estimator.fit(X, y, **kwargs)

    def _n_meta_columns(self):
        per_branch = 1 if len(self.classes_) == 2 else len(self.classes_)
        return per_branch * len(self.estimators_)

    def _meta_features(self, probas):
        if len(self.classes_) == 2:
            return np.column_stack([proba[:, 1] for proba in probas])
        return np.hstack(probas)

    # ------------------------------------------------------------ the joint net
    def _check_X(self, X, reset):
        check_is_fitted(self, "transformers_")
        views = {}
        for name, transformer, estimator in zip(
            self._branch_names, self.transformers_, self.estimators_, strict=True
        ):
            view = self._apply(transformer, X)
            views[name] = (
                estimator._check_X(view, reset=False)
                if self.fusion == "intermediate"
                else view
            )
        return views

    def _dataset(self, X, y, sample_weight, training):
        datasets = {
            name: estimator._dataset(X[name], y, sample_weight, training)
            for name, estimator in zip(
                self._branch_names, self.estimators_, strict=True
            )
        }
        first = next(iter(datasets.values()))
        return _FusionDataset(datasets, first.y, first.sample_weight)

    def _module_and_params(self, train, n_outputs):
        branches = {}
        for name, estimator in zip(self._branch_names, self.estimators_, strict=True):
            module, params = estimator._module_and_params(None, 1)
            branches[name] = (module, params)
        return FusionModule, {
            "branches": branches,
            "head_hidden_layer_sizes": tuple(self.head_hidden_layer_sizes),
            "dropout": self.dropout,
            "n_outputs": n_outputs,
        }

    def _module_and_params_for_load(self, n_outputs):
        # As _module_and_params, with every branch's initial weights off.
        module, params = self._module_and_params(None, n_outputs)
        params["branches"] = {
            name: estimator._module_and_params_for_load(1)
            for name, estimator in zip(
                self._branch_names, self.estimators_, strict=True
            )
        }
        return module, params

    def _extra_net_params(self):
        # Each trunk learns at its own estimator's rate; the head at ours.
        groups = [
            (f"branches.{name}.*", {"lr": estimator.lr})
            for name, estimator in zip(
                self._branch_names, self.estimators_, strict=True
            )
        ]
        return {"optimizer__param_groups": groups}

    # ------------------------------------------------------------ prediction
    def predict_proba(self, X):
        """Return class probabilities.

        Parameters
        ----------
        X : array-like
            The shared input, as for ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        if self.fusion == "intermediate":
            return super().predict_proba(X)
        check_is_fitted(self, "estimators_")
        views = self._check_X(X, reset=False)
        probas = [
            estimator.predict_proba(views[name])
            for name, estimator in zip(
                self._branch_names, self.estimators_, strict=True
            )
        ]
        if self.final_estimator is not None:
            return self.final_estimator_.predict_proba(self._meta_features(probas))
        return np.average(np.stack(probas), axis=0, weights=self.weights)

    def decision_function(self, X):
        """Return the logits (intermediate fusion) or the log-odds of the
        fused probabilities (late fusion).

        Parameters
        ----------
        X : array-like
            The shared input, as for ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Positive-class scores for binary problems.
        """
        if self.fusion == "intermediate":
            return super().decision_function(X)
        proba = np.clip(self.predict_proba(X), 1e-12, 1.0)
        if proba.shape[1] == 2:
            return np.log(proba[:, 1]) - np.log(proba[:, 0])
        return np.log(proba)

    def embed(self, X):
        """Return the joint embedding (intermediate fusion only).

        Parameters
        ----------
        X : array-like
            The shared input, as for ``fit``.

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_embedding)
            The output of the joint head's hidden layers.
        """
        if self.fusion != "intermediate":
            raise AttributeError("embed is only defined for intermediate fusion")
        return super().embed(X)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "transformers_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        return tags
