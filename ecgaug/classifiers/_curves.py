"""The paper's Tables 2-4: real-only versus pretrained-then-fine-tuned curves."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ecgaug._parallel import parallel_map
from ecgaug.classifiers._finetune import FineTunedClassifier

__all__ = ["learning_curve_finetune", "nested_stratified_subsets"]


def nested_stratified_subsets(
    y, fractions: Sequence[float], random_state=0
) -> dict[float, np.ndarray]:
    """Indices of nested, stratified subsets of ``y``, one per fraction.

    Each class is shuffled once; a fraction ``f`` takes the first
    ``max(1, round(f * n_c))`` beats of each class ``c``, so that the subset of
    a smaller fraction is contained in that of a larger one.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    fractions : sequence of float
        Fractions in (0, 1].
    random_state : int, RandomState instance or None, default=0
        Seed of the shuffles.

    Returns
    -------
    dict
        ``{fraction: sorted indices into y}``.
    """
    y = np.asarray(y)
    rng = check_random_state(random_state)
    orders = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    subsets = {}
    for frac in fractions:
        if not 0.0 < frac <= 1.0:
            raise ValueError(f"fractions must be in (0, 1], got {frac!r}.")
        take = [order[: max(1, round(frac * len(order)))] for order in orders]
        subsets[frac] = np.sort(np.concatenate(take))
    return subsets


def _scores(model, X_test, y_test, labels: np.ndarray) -> dict[str, float]:
    y_pred = model.predict(X_test)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_test, y_pred, labels=labels, average="macro", zero_division=0
    )
    _, per_class, _, _ = precision_recall_fscore_support(
        y_test, y_pred, labels=labels, average=None, zero_division=0
    )
    row = {
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
    }
    row.update({f"recall_{c}": float(r) for c, r in zip(labels.tolist(), per_class)})
    return row


def _fit_and_score(model: str, estimator, frac: float, idx, data):
    """Fit one model of a fraction; its table row and the fitted estimator.

    The estimator is returned only for the first fine-tuning, whose
    ``pretrained_`` the other fractions reuse (``None`` otherwise, so that
    workers send back a row, not a network).
    """
    X, y, X_test, y_test, labels, X_pretrain, y_pretrain = data
    X_sub, y_sub = X[idx], y[idx]
    start = time.perf_counter()
    if model == "real":
        estimator.fit(X_sub, y_sub)
        fit_time = time.perf_counter() - start
    else:
        first = not hasattr(estimator, "pretrained_")
        estimator.fit(X_sub, y_sub, X_pretrain=X_pretrain, y_pretrain=y_pretrain)
        fit_time = estimator.finetune_time_
    row = (
        {"fraction": frac, "n_train": len(idx), "model": model}
        | _scores(estimator, X_test, y_test, labels)
        | {"fit_time": fit_time, "pretrain_time": 0.0}
    )
    return row, estimator if model == "finetuned" and first else None


def learning_curve_finetune(
    estimator: FineTunedClassifier,
    X,
    y,
    X_test,
    y_test,
    *,
    X_pretrain=None,
    y_pretrain=None,
    fractions: Sequence[float] = (0.2, 0.4, 0.6, 0.8, 1.0),
    baseline: bool = True,
    random_state=0,
    as_frame: bool | str = "auto",
    n_jobs: int | None = None,
):
    """Real-only versus pretrained-then-fine-tuned, for growing real data.

    The protocol of Tables 2-4 of the paper: for each fraction of the real
    training data (stratified, nested subsets drawn with ``random_state``), a
    clone of ``estimator.classifier`` is trained from scratch on it ("real"),
    and the pretrained network is fine-tuned on it ("finetuned"); both are
    scored on the same test set.

    Pretraining runs once. The fractions are processed from the largest down,
    and ``estimator`` (cloned, with ``warm_start=True``) pretrains during the
    first: its ``sampler`` is fitted on the largest fraction (all of ``X`` when
    1.0 is among the fractions, as in the paper), or it pretrains on the given
    ``X_pretrain, y_pretrain``, which may come from another task (Table 4:
    MIT-BIH beats, 5 classes, to pretrain a PTB classifier, 2 classes; the
    output layer is then re-initialised).

    Parameters
    ----------
    estimator : FineTunedClassifier
        Settings of the pretraining and fine-tuning; ``estimator.classifier``
        (with its ``max_epochs``) is also the real-only baseline.
    X : array-like of shape (n_samples, n_features)
        Real training beats.
    y : array-like of shape (n_samples,)
        Their labels.
    X_test : array-like of shape (n_test, n_features)
        Real test beats, never used for training.
    y_test : array-like of shape (n_test,)
        Their labels.
    X_pretrain : array-like of shape (n_pretrain_samples, n_features) or None
        Pretraining beats, when ``estimator`` has no sampler.
    y_pretrain : array-like of shape (n_pretrain_samples,) or None
        Their labels (any classes).
    fractions : sequence of float, default=(0.2, 0.4, 0.6, 0.8, 1.0)
        Fractions of ``(X, y)`` to train on.
    baseline : bool, default=True
        Also train the real-only models.
    random_state : int, RandomState instance or None, default=0
        Seeds the subsets and overrides the ``random_state`` of the models
        (real-only and fine-tuned models of a fraction start from the same
        seed); None keeps theirs.
    as_frame : bool or "auto", default="auto"
        Return a :class:`pandas.DataFrame` (``"auto"``: when pandas is
        installed) or a dict of lists.
    n_jobs : int or None, default=None
        Fits run at once (joblib): first the pretraining with the real-only
        fits, then the other fine-tunings. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context (``backend="dask"``: on a Dask
        cluster), ``-1`` all CPUs. The result is the serial one; each worker
        runs torch on ``cpu_count // n_jobs`` threads. Read more in
        :ref:`scaling`.

    Returns
    -------
    table : pandas.DataFrame or dict of lists
        One row per fraction and model, sorted by fraction, with columns
        ``fraction``, ``n_train``, ``model`` (``"real"`` or ``"finetuned"``),
        ``accuracy``, ``precision_macro``, ``recall_macro``, ``f1_macro``,
        ``recall_<label>`` for each class of ``y``, ``fit_time`` (seconds of
        training on the real fraction: from scratch, or fine-tuning) and
        ``pretrain_time`` (seconds of sampler fitting, sampling and
        pretraining, paid once; 0 for real-only rows).

    See Also
    --------
    FineTunedClassifier : the pretrain-then-fine-tune estimator.

    References
    ----------
    .. [1] J. F. Núñez, J. Arjona, A. Tormos, D. García and J. Béjar, "Applying
       Generative Models and Transfer Learning to Physiological Data
       Classification", Tables 2, 3 and 4.

    Examples
    --------
    >>> from ecgaug.classifiers import (FineTunedClassifier, ResNetClassifier,
    ...                                 learning_curve_finetune)
    >>> from ecgaug.datasets import load_sample
    >>> X, y = load_sample(split="train", return_X_y=True)
    >>> X_test, y_test = load_sample(split="test", return_X_y=True)
    >>> clf = ResNetClassifier(module__n_blocks=1, max_epochs=2)
    >>> ft = FineTunedClassifier(clf, pretrain_epochs=2, finetune_epochs=2)
    >>> table = learning_curve_finetune(
    ...     ft, X[400:], y[400:], X_test, y_test, X_pretrain=X[:400],
    ...     y_pretrain=y[:400], fractions=(0.5, 1.0), as_frame=False)
    >>> table["model"]
    ['real', 'finetuned', 'real', 'finetuned']
    """
    if not isinstance(estimator, FineTunedClassifier):
        raise TypeError(
            f"estimator must be a FineTunedClassifier, got {type(estimator).__name__}."
        )
    if as_frame not in (True, False, "auto"):
        raise ValueError(f"as_frame must be True, False or 'auto', got {as_frame!r}.")
    y = column_or_1d(y)
    y_test = column_or_1d(y_test)
    check_classification_targets(y)
    if len(fractions) == 0:
        raise ValueError("fractions is empty.")
    fractions = sorted({float(f) for f in fractions}, reverse=True)
    subsets = nested_stratified_subsets(y, fractions, random_state)
    labels = np.unique(y)
    X = np.asarray(X)

    finetuned = clone(estimator).set_params(warm_start=True)
    seed = None
    if random_state is not None:
        seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
        finetuned.set_params(random_state=seed)

    # Pretraining happens once, in the first fine-tuning (the largest
    # fraction), together with the real-only fits; the other fractions then
    # fine-tune copies of the pretrained estimator. Every seed is fixed here,
    # so the tasks give the serial result in any order.
    first, rest = fractions[0], fractions[1:]
    data = (X, y, X_test, y_test, labels, X_pretrain, y_pretrain)
    tasks = [("finetuned", finetuned, first, subsets[first], data)]
    if baseline:
        real = clone(estimator.classifier)
        if seed is not None and "random_state" in real.get_params(deep=False):
            real.set_params(random_state=seed)
        tasks += [("real", clone(real), f, subsets[f], data) for f in fractions]
    runs = parallel_map(_fit_and_score, tasks, n_jobs=n_jobs)
    finetuned = runs[0][1]
    pretrain_time = (
        finetuned.sampler_fit_time_ + finetuned.sample_time_ + finetuned.pretrain_time_
    )
    tasks = [("finetuned", finetuned, f, subsets[f], data) for f in rest]
    runs += parallel_map(_fit_and_score, tasks, n_jobs=n_jobs)
    rows = []
    for row, _ in runs:
        if row["model"] == "finetuned":
            row["pretrain_time"] = pretrain_time
        rows.append(row)

    rows.sort(key=lambda r: (r["fraction"], r["model"] != "real"))
    table = {key: [row[key] for row in rows] for key in rows[0]}
    if as_frame is False:
        return table
    try:
        import pandas as pd
    except ImportError:
        if as_frame is True:
            raise ImportError("as_frame=True needs pandas; pip install pandas.")
        return table
    return pd.DataFrame(table)
