"""FineTunedClassifier: pretrain on synthetic beats, then fine-tune on real ones."""

from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.callbacks import Callback, Freezer

from ecgaug.classifiers._estimator import _check_label_types, _unwrap

__all__ = ["FineTunedClassifier"]


class _LoadPretrained(Callback):
    """Load a pretrained ``state_dict`` into ``net.module_`` when training begins.

    The in-memory, cross-task counterpart of skorch's ``LoadInitState``: the
    entries under ``exclude`` (the output head when the classes change) keep
    their fresh initialisation.
    """

    def __init__(self, state_dict: dict, exclude: tuple[str, ...] = ()) -> None:
        self.state_dict = state_dict
        self.exclude = exclude

    def _excluded(self, key: str) -> bool:
        return any(key == e or key.startswith(e + ".") for e in self.exclude)

    def on_train_begin(self, net, **kwargs) -> None:
        state = {k: v for k, v in self.state_dict.items() if not self._excluded(k)}
        module = _unwrap(net.module_)  # skorch's compile=True wraps it
        missing, unexpected = module.load_state_dict(state, strict=False)
        missing = [k for k in missing if not self._excluded(k)]
        if missing or unexpected:
            raise RuntimeError(
                "The pretrained network does not match the fine-tuning one: "
                f"missing {missing}, unexpected {unexpected}."
            )


_SEED_NAMES = ("sampler", "draw", "pretrain", "finetune")


def _seeds(random_state) -> dict[str, int | None]:
    """One seed per random step, all None when ``random_state`` is None."""
    if random_state is None:
        return dict.fromkeys(_SEED_NAMES)
    draws = check_random_state(random_state).randint(0, 2**31 - 1, len(_SEED_NAMES))
    return {name: int(seed) for name, seed in zip(_SEED_NAMES, draws)}


def _with_seed(estimator, seed: int | None):
    """Set ``random_state`` on a fresh estimator when it has one."""
    if seed is not None and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def _balanced_labels(classes: np.ndarray, n_samples: int) -> np.ndarray:
    """``n_samples`` labels, as equal as possible over ``classes``."""
    counts = np.full(len(classes), n_samples // len(classes))
    counts[: n_samples % len(classes)] += 1
    return np.repeat(classes, counts)


class FineTunedClassifier(ClassifierMixin, BaseEstimator):
    """Pretrain a classifier on synthetic beats, then fine-tune it on real ones.

    ``fit(X, y)`` runs the paper's transfer protocol as one estimator, so that it
    can be cross-validated or grid-searched like any model:

    1. clone ``sampler`` and fit it on ``(X, y)`` only (each CV training fold
       gets its own generator, nothing leaks from the test fold), then draw
       ``n_pretrain`` beats balanced over the classes of ``y``; or take the
       given ``X_pretrain, y_pretrain`` (another task's data, e.g. MIT-BIH
       beats to pretrain a PTB classifier);
    2. pretrain a clone of ``classifier`` on them for ``pretrain_epochs``;
    3. fine-tune another clone on the real ``(X, y)`` for ``finetune_epochs``,
       starting from the pretrained weights (loaded by a skorch callback when
       training begins): the output ``head`` is re-initialised for the real
       classes (``head="reinit"``, required when they differ) or kept, and the
       layers named in ``freeze`` stay fixed (skorch's ``Freezer``).

    Parameters
    ----------
    classifier : ResNetClassifier
        The network and its training settings (a :class:`ResNetClassifier`, or
        another skorch classifier whose module has a ``head`` layer). It is
        cloned, never fitted in place.
    sampler : object or None, default=None
        A generative sampler: ``fit(X, y)`` returning itself and
        ``sample(n_samples, y=labels, random_state=...)`` returning
        ``(X_synth, y_synth)``, e.g. :class:`ecgaug.generators.DiffusionSampler`.
        ``None``: pass ``X_pretrain, y_pretrain`` to ``fit``.
    n_pretrain : int, default=20_000
        Synthetic beats drawn, split equally among the classes (the paper:
        550,000 for MIT-BIH, 110,000 per class; 224,000 for PTB).
    pretrain_epochs : int, default=10
        Epochs on the synthetic (or ``X_pretrain``) beats.
    finetune_epochs : int, default=10
        Epochs on the real beats; ``0`` only loads the pretrained weights.
    finetune_lr : float or None, default=None
        Learning rate of the fine-tuning; ``None`` keeps ``classifier``'s.
    freeze : tuple of str, default=()
        Layers of the module kept fixed during fine-tuning: module names such
        as ``"stem"``, ``"blocks"``, ``"blocks.0"``, ``"dense"`` or parameter
        names such as ``"stem.weight"``; an unknown name raises a
        ``ValueError`` listing the layers. The names are those of the
        network itself, also with skorch's ``compile=True``.
    head : {"reinit", "keep"}, default="reinit"
        ``"reinit"``: a new, randomly initialised output layer for the real
        classes (always right across tasks). ``"keep"``: keep the pretrained
        one; the pretraining and real classes must then be the same.
    warm_start : bool, default=False
        When True and already fitted, ``fit`` skips the sampler and the
        pretraining and fine-tunes ``pretrained_`` again on the new ``(X, y)``
        (used by :func:`learning_curve_finetune` to pretrain once).
    random_state : int, RandomState instance or None, default=None
        When set, seeds the sampler, the draw, and both classifier clones
        (their ``random_state`` is overridden); ``None`` leaves theirs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels of the real data.
    n_features_in_ : int
        Features of ``X`` seen in ``fit`` (``n_leads * n_timesteps`` for a 3-D
        ``X``).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, when it was a DataFrame with string column names.
    sampler_ : object or None
        The sampler fitted on this ``fit``'s ``(X, y)``; None with ``X_pretrain``.
    pretrained_ : ResNetClassifier
        The classifier after pretraining (before any real data).
    pretrain_classes_ : ndarray
        Labels of the pretraining data.
    estimator_ : ResNetClassifier
        The fine-tuned classifier that ``predict`` uses.
    sampler_fit_time_, sample_time_, pretrain_time_, finetune_time_ : float
        Seconds spent fitting the sampler, drawing the synthetic beats,
        pretraining and fine-tuning (0 for steps that did not run).

    See Also
    --------
    ResNetClassifier : the classifier being pretrained and fine-tuned.
    learning_curve_finetune : this estimator against real-only training for
        growing fractions of the real data.

    References
    ----------
    .. [1] J. F. Núñez, J. Arjona, A. Tormos, D. García and J. Béjar, "Applying
       Generative Models and Transfer Learning to Physiological Data
       Classification", Tables 2-4.

    Examples
    --------
    >>> from ecgaug.classifiers import FineTunedClassifier, ResNetClassifier
    >>> from ecgaug.datasets import load_sample
    >>> X, y = load_sample(return_X_y=True)
    >>> clf = ResNetClassifier(module__n_blocks=1, random_state=0)
    >>> ft = FineTunedClassifier(clf, pretrain_epochs=2, finetune_epochs=2,
    ...                          freeze=("stem",), random_state=0)
    >>> ft = ft.fit(X[500:], y[500:], X_pretrain=X[:500], y_pretrain=y[:500])
    >>> ft.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "classifier": [HasMethods(["fit", "predict_proba", "initialize"])],
        "sampler": [HasMethods(["fit", "sample"]), None],
        "n_pretrain": [Interval(Integral, 1, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 1, None, closed="left")],
        "finetune_epochs": [Interval(Integral, 0, None, closed="left")],
        "finetune_lr": [Interval(Real, 0, None, closed="neither"), None],
        "freeze": [tuple, list, str],
        "head": [StrOptions({"reinit", "keep"})],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        classifier,
        *,
        sampler=None,
        n_pretrain: int = 20_000,
        pretrain_epochs: int = 10,
        finetune_epochs: int = 10,
        finetune_lr: float | None = None,
        freeze: tuple[str, ...] = (),
        head: str = "reinit",
        warm_start: bool = False,
        random_state=None,
    ) -> None:
        self.classifier = classifier
        self.sampler = sampler
        self.n_pretrain = n_pretrain
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.finetune_lr = finetune_lr
        self.freeze = freeze
        self.head = head
        self.warm_start = warm_start
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # ------------------------------------------------------------------ #
    def _validate_X(self, X, *, reset: bool) -> np.ndarray:
        """``X`` as a numeric array: 2-D through ``validate_data``, or 3-D.

        Lists and DataFrames are accepted (the latter set
        ``feature_names_in_``); an empty ``X`` raises a ``ValueError``. NaN is
        left for the classifier, which names the row.
        """
        if np.ndim(X) != 3:
            return validate_data(
                self, X, reset=reset, dtype="numeric", ensure_all_finite=False
            )
        X = check_array(X, allow_nd=True, dtype="numeric", ensure_all_finite=False)
        n_features = int(np.prod(X.shape[1:]))
        if reset:
            self.n_features_in_ = n_features
            self.__dict__.pop("feature_names_in_", None)
        elif n_features != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, i.e. {n_features} features per beat, but "
                f"{type(self).__name__} was fitted on {self.n_features_in_}."
            )
        return X

    def _freeze_patterns(self, module: torch.nn.Module) -> list[str]:
        """Freezer patterns for ``self.freeze``, checked against ``module``.

        A module compiled by skorch (``compile=True``) names its parameters
        ``_orig_mod.<name>``; the patterns then carry that prefix.
        """
        names = (self.freeze,) if isinstance(self.freeze, str) else tuple(self.freeze)
        prefix = "_orig_mod." if module is not _unwrap(module) else ""
        module = _unwrap(module)
        layers = {n for n, _ in module.named_modules() if n}
        params = {n for n, _ in module.named_parameters()}
        patterns = []
        for name in names:
            if name in params:
                patterns.append(prefix + name)
            elif name in layers:
                patterns.append(f"{prefix}{name}.*")
            else:
                top = sorted({n.split(".")[0] for n in layers})
                raise ValueError(
                    f"freeze names a layer {name!r} that the module does not have; "
                    f"its layers are {top} (or dotted sub-layers such as "
                    "'blocks.0', or parameter names)."
                )
            if self.head == "reinit" and (name == "head" or name.startswith("head.")):
                raise ValueError(
                    "freeze contains the head but head='reinit' would leave a "
                    "random, frozen output layer; unfreeze it or use head='keep'."
                )
        return patterns

    def _pretrain_data(self, X, y, X_pretrain, y_pretrain, seeds):
        if X_pretrain is not None:
            if self.sampler is not None:
                raise ValueError(
                    "Pass either a sampler or X_pretrain/y_pretrain, not both."
                )
            if y_pretrain is None:
                raise ValueError("X_pretrain was given without y_pretrain.")
            self.sampler_ = None
            self.sampler_fit_time_ = self.sample_time_ = 0.0
            return X_pretrain, y_pretrain
        if y_pretrain is not None:
            raise ValueError("y_pretrain was given without X_pretrain.")
        if self.sampler is None:
            raise ValueError(
                "Nothing to pretrain on: set sampler=... or pass "
                "fit(X, y, X_pretrain=..., y_pretrain=...)."
            )
        if self.n_pretrain < len(self.classes_):
            raise ValueError(
                f"n_pretrain={self.n_pretrain} is fewer than one beat per class "
                f"({len(self.classes_)} classes)."
            )
        start = time.perf_counter()
        self.sampler_ = _with_seed(clone(self.sampler), seeds["sampler"]).fit(X, y)
        self.sampler_fit_time_ = time.perf_counter() - start
        start = time.perf_counter()
        labels = _balanced_labels(self.classes_, self.n_pretrain)
        X_syn, y_syn = self.sampler_.sample(
            self.n_pretrain, y=labels, random_state=seeds["draw"]
        )
        self.sample_time_ = time.perf_counter() - start
        if len(X_syn) != self.n_pretrain or len(y_syn) != self.n_pretrain:
            raise ValueError(
                f"The sampler returned {len(X_syn)} beats and {len(y_syn)} labels "
                f"for n_samples={self.n_pretrain}."
            )
        return X_syn, y_syn

    def _pretrain(self, X, y, X_pretrain, y_pretrain, seeds) -> None:
        X_pre, y_pre = self._pretrain_data(X, y, X_pretrain, y_pretrain, seeds)
        net = _with_seed(clone(self.classifier), seeds["pretrain"])
        net.set_params(max_epochs=self.pretrain_epochs)
        start = time.perf_counter()
        net.fit(X_pre, y_pre)
        self.pretrain_time_ = time.perf_counter() - start
        self.pretrained_ = net
        self.pretrain_classes_ = np.asarray(net.classes_)

    def _finetune(self, X, y, seed: int | None) -> None:
        pre = self.pretrained_
        if pre.n_features_in_ != self.n_features_in_:
            raise ValueError(
                f"The pretraining beats have {pre.n_features_in_} features but X "
                f"has {self.n_features_in_}; both must have the same leads and "
                "time steps."
            )
        same_classes = np.array_equal(pre.classes_, self.classes_)
        if self.head == "keep" and not same_classes:
            raise ValueError(
                "head='keep' needs the same classes for pretraining and "
                f"fine-tuning, got {list(pre.classes_)} and {list(self.classes_)}; "
                "use head='reinit'."
            )
        trunk = _unwrap(pre.module_)
        state = {k: v.detach().clone() for k, v in trunk.state_dict().items()}
        exclude = ("head",) if self.head == "reinit" else ()
        net = _with_seed(clone(self.classifier), seed)  # clone copies callbacks
        callbacks = list(net.callbacks or [])
        callbacks.append(("load_pretrained", _LoadPretrained(state, exclude)))
        patterns = self._freeze_patterns(pre.module_)
        if patterns:
            callbacks.append(("freeze", Freezer(patterns)))
        # skorch nets reject max_epochs=0; 0 epochs still runs on_train_begin,
        # which loads the pretrained weights.
        epochs = self.finetune_epochs
        params = {"max_epochs": max(epochs, 1), "callbacks": callbacks}
        if self.finetune_lr is not None:
            params["lr"] = self.finetune_lr
            if "optimizer__lr" in self.classifier.get_params():
                params["optimizer__lr"] = self.finetune_lr
        net.set_params(**params)
        start = time.perf_counter()
        net.fit(X, y, **({} if epochs else {"epochs": 0}))
        self.finetune_time_ = time.perf_counter() - start
        self.estimator_ = net

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, X_pretrain=None, y_pretrain=None):
        """Pretrain on synthetic (or given) beats, then fine-tune on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_leads * n_timesteps)
            Real training beats (3-D ``(n_samples, n_leads, n_timesteps)`` is
            accepted by :class:`ResNetClassifier`).
        y : array-like of shape (n_samples,)
            Their labels.
        X_pretrain : array-like of shape (n_pretrain_samples, n_features) or None
            Pretraining beats, instead of a sampler (e.g. another task's).
            Beware: ``cross_validate`` slices fit parameters that have as many
            rows as ``X``.
        y_pretrain : array-like of shape (n_pretrain_samples,) or None
            Their labels, which may differ from those of ``y``.

        Returns
        -------
        self : FineTunedClassifier
            The fitted estimator.
        """
        _check_label_types(y)
        _check_label_types(y_pretrain, "y_pretrain")
        X = self._validate_X(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        labels = self.classifier.get_params().get("classes")
        self.classes_ = np.unique(y) if labels is None else np.asarray(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has 1 class ({self.classes_[0]!r}); a classifier needs at "
                "least 2 classes."
            )
        seeds = _seeds(self.random_state)
        if self.warm_start and hasattr(self, "pretrained_"):
            self.sampler_fit_time_ = self.sample_time_ = self.pretrain_time_ = 0.0
        else:
            # Fail on a bad ``freeze`` before the (long) pretraining.
            self._freeze_patterns(clone(self.classifier).initialize().module_)
            self._pretrain(X, y, X_pretrain, y_pretrain, seeds)
        self._finetune(X, y, seeds["finetune"])
        self.classes_ = self.estimator_.classes_  # the classifier's ``classes``
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of the fine-tuned classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or \
(n_samples, n_leads, n_timesteps)
            Beats.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(self._validate_X(X, reset=False))

    def predict(self, X) -> np.ndarray:
        """Labels predicted by the fine-tuned classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or \
(n_samples, n_leads, n_timesteps)
            Beats.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(self._validate_X(X, reset=False))
