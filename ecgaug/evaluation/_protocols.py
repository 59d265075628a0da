"""Train/test protocols of synthetic data: TRTR, TSTR, TRTS, TSTS and TRSTR."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    precision_recall_fscore_support,
    recall_score,
)
from sklearn.utils import check_random_state

from .._parallel import parallel_map
from ._synthetic import check_fitted, draw, synthetic_labels
from ._tables import summarise_repeats, to_frame
from .metrics._validation import check_beats, check_labels, plain

__all__ = ["PROTOCOLS", "check_protocols", "evaluate_protocols"]

#: Protocol name -> (training set, test set). "synth" is a synthetic set drawn
#: from the sampler; TSTS tests on a second synthetic set drawn independently.
PROTOCOLS: dict[str, tuple[str, str]] = {
    "TRTR": ("real", "real"),
    "TSTR": ("synth", "real"),
    "TRTS": ("real", "synth"),
    "TSTS": ("synth", "synth"),
    "TRSTR": ("real+synth", "real"),
}


def check_protocols(protocols) -> list[str]:
    """The protocol names, deduplicated; a ``ValueError`` names unknown ones."""
    if isinstance(protocols, str):
        protocols = (protocols,)
    names = list(dict.fromkeys(protocols))
    unknown = [p for p in names if p not in PROTOCOLS]
    if unknown:
        raise ValueError(
            f"Unknown protocol(s) {unknown}; choose from {list(PROTOCOLS)}."
        )
    if not names:
        raise ValueError(f"protocols is empty; choose from {list(PROTOCOLS)}.")
    return names


def _reseed(estimator, seed: int, reseed: bool):
    if reseed and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def _scores(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, average="macro", zero_division=0
        )
        per = recall_score(
            y_true, y_pred, labels=classes, average=None, zero_division=np.nan
        )
    out: dict[tuple[str, Any], float] = {
        ("accuracy", None): float(accuracy_score(y_true, y_pred)),
        ("precision_macro", None): float(p),
        ("recall_macro", None): float(r),
        ("f1_macro", None): float(f),
    }
    out.update({("class_recall", plain(c)): float(v) for c, v in zip(classes, per)})
    return out


def _one_repeat(sampler, classifier, names, data, flags, seeds) -> dict:
    """Scores of one repeat: ``{(protocol, metric, label): value}``."""
    Xtr, ytr, Xte, yte, classes, train_labels = data
    needs_synth_train, needs_synth_test, refit, reseed = flags
    seed_sampler, seed_train, seed_test, seed_clf = (int(s) for s in seeds)
    if seed_test == seed_train:
        seed_test = (seed_train + 1) % (2**31 - 1)
    sets = {"real": (Xtr, ytr)}
    tests = {"real": (Xte, yte)}
    if needs_synth_train or needs_synth_test:
        gen = sampler
        if refit:
            gen = _reseed(clone(sampler), seed_sampler, reseed).fit(Xtr, ytr)
        if needs_synth_train:
            sets["synth"] = draw(gen, train_labels, seed_train, Xtr, ytr)
            sets["real+synth"] = (
                np.vstack([Xtr, sets["synth"][0]]),
                np.concatenate([ytr, sets["synth"][1]]),
            )
        if needs_synth_test:
            tests["synth"] = draw(gen, yte, seed_test, Xtr, ytr)
    fitted: dict[str, tuple[Any, float]] = {}
    out: dict[tuple[str, str, Any], float] = {}
    for name in names:
        train_side, test_side = PROTOCOLS[name]
        if train_side not in fitted:
            Xa, ya = sets[train_side]
            clf = _reseed(clone(classifier), seed_clf, reseed)
            start = time.perf_counter()
            clf.fit(Xa, ya)
            fitted[train_side] = (clf, time.perf_counter() - start)
        clf, fit_time = fitted[train_side]
        Xb, yb = tests[test_side]
        scores = _scores(yb, np.asarray(clf.predict(Xb)), classes)
        scores[("fit_time", None)] = fit_time
        out.update({(name, metric, label): v for (metric, label), v in scores.items()})
    return out


def evaluate_protocols(
    sampler: Any,
    classifier: Any,
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    protocols: Sequence[str] = ("TRTR", "TSTR", "TRTS", "TSTS", "TRSTR"),
    n_synthetic: int | float | dict | None = None,
    n_repeats: int = 3,
    refit: bool = True,
    reseed: bool = True,
    confidence: float = 0.95,
    random_state: int | np.random.RandomState | None = None,
    as_frame: bool | str = "auto",
    n_jobs: int | None = None,
    verbose: int = 0,
):
    """Score a classifier trained and tested on real and synthetic beats.

    The paper's Table 1 protocols [1]_, [2]_, each repeated ``n_repeats`` times:

    =========  ==================================  ===========================
    Protocol   Classifier trained on               Tested on
    =========  ==================================  ===========================
    ``TRTR``   real ``X_train``                    real ``X_test``
    ``TSTR``   synthetic training set              real ``X_test``
    ``TRTS``   real ``X_train``                    synthetic test set
    ``TSTS``   synthetic training set              synthetic test set
    ``TRSTR``  real ``X_train`` + synthetic set    real ``X_test``
    =========  ==================================  ===========================

    TSTR near TRTR means that the synthetic beats carry what a classifier needs
    (utility); TRTS near TRTR, that they look like their class to a real-trained
    classifier; TSTS far above TSTR, that they are easier than real beats (the
    paper's finding: 0.999 vs 0.551).

    No test beat reaches the generator: it is fitted on ``(X_train, y_train)``
    only, and asked for beats by label. The synthetic test set is drawn with
    another seed than the synthetic training set, so TSTS never tests on
    training beats.

    Parameters
    ----------
    sampler : sampler
        A generative sampler (``fit(X, y)`` and ``sample(n_samples, y=labels,
        random_state=seed)``), e.g. of :mod:`ecgaug.generators`.
    classifier : classifier
        Any scikit-learn classifier; a fresh clone is fitted for each training
        set and repeat.
    X_train, y_train : array-like of shape (n_train, n_features), (n_train,)
        Real training beats: the only data the sampler sees.
    X_test, y_test : array-like of shape (n_test, n_features), (n_test,)
        Real test beats; their classes must all occur in ``y_train``.
    protocols : sequence of str, default=all five
        Protocols to run, among ``"TRTR"``, ``"TSTR"``, ``"TRTS"``, ``"TSTS"``
        and ``"TRSTR"``.
    n_synthetic : None, int, float or dict, default=None
        Size of the synthetic training set: ``None`` draws one beat per label
        of ``y_train`` (the same class counts); an int draws that many in the
        class proportions of ``y_train``; a float, that multiple of
        ``len(y_train)``; a dict ``{class: count}`` exact counts (e.g. balanced
        classes, as the paper's 110 k per class). The synthetic test set has
        the labels of ``y_test``, so that TRTS compares with TRTR on the same
        class mix.
    n_repeats : int, default=3
        Repeats, each with its own seeds (sampler fit, synthetic draws,
        classifier).
    refit : bool, default=True
        Fit a clone of ``sampler`` on ``(X_train, y_train)`` in every repeat
        (the spread then includes the generator's training). ``False`` uses the
        fitted ``sampler`` as it is; it must have been fitted on these training
        beats only, which cannot be checked here.
    reseed : bool, default=True
        Set ``random_state`` of the sampler and classifier clones (when they
        have one) from this function's ``random_state``, differently in every
        repeat. ``False`` keeps their own; a fixed ``random_state`` then
        repeats the same fit, and only the synthetic draws vary.
    confidence : float, default=0.95
        Level of the Student-t interval of the mean over repeats.
    random_state : int, RandomState instance or None, default=None
        Seeds of the repeats.
    as_frame : bool or "auto", default="auto"
        Return a pandas DataFrame (``"auto"``: when pandas is installed),
        else a dict of lists.
    n_jobs : int or None, default=None
        Repeats run at once (joblib): ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context (e.g. ``backend="dask"`` runs
        them on a Dask cluster), ``-1`` all CPUs. Each repeat's seeds are
        drawn before any starts, so the result is the serial one; each worker
        runs torch on ``cpu_count // n_jobs`` threads. Read more in
        :ref:`scaling`.
    verbose : int, default=0
        Show a progress bar.

    Returns
    -------
    results : DataFrame or dict of lists
        One row per protocol and score, columns ``protocol``, ``metric``
        (``accuracy``, ``precision_macro``, ``recall_macro``, ``f1_macro``,
        ``class_recall``, ``fit_time`` in seconds), ``label`` (the class of a
        ``class_recall``, else None), ``mean``, ``std``, ``ci_low``,
        ``ci_high`` (NaN for one repeat), ``n_repeats`` and ``repeat_0`` ...
        ``repeat_{n_repeats-1}``, like ``cv_results_`` of
        :class:`~sklearn.model_selection.GridSearchCV`.

    See Also
    --------
    synthetic_quality_report : These protocols and the fidelity metrics.
    ecgaug.plotting.plot_protocols : A bar chart of the result.

    References
    ----------
    .. [1] Esteban C, Hyland SL, Rätsch G. Real-valued (medical) time series
       generation with recurrent conditional GANs. arXiv:1706.02633, 2017.
    .. [2] Núñez JF, Arjona J, Tormos A, García D, Béjar J. Applying generative
       models and transfer learning to physiological data classification
       (Table 1).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.evaluation import evaluate_protocols
    >>> X_train, y_train = load_sample(split="train", return_X_y=True)
    >>> X_test, y_test = load_sample(split="test", return_X_y=True)
    >>> res = evaluate_protocols(
    ...     None, LogisticRegression(max_iter=200), X_train, y_train, X_test, y_test,
    ...     protocols=["TRTR"], n_repeats=1)
    >>> res.loc[res.metric == "accuracy", "mean"].item() > 0.8
    True
    """
    names = check_protocols(protocols)
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}.")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}.")
    Xtr = check_beats(X_train, "X_train")
    Xte = check_beats(X_test, "X_test")
    if Xte.shape[1] != Xtr.shape[1]:
        raise ValueError(
            f"X_test has {Xte.shape[1]} features per beat but X_train has "
            f"{Xtr.shape[1]}."
        )
    ytr = check_labels(y_train, len(Xtr), "y_train", "X_train")
    yte = check_labels(y_test, len(Xte), "y_test", "X_test")
    classes = np.unique(ytr)
    missing = sorted(set(np.unique(yte).tolist()) - set(classes.tolist()), key=str)
    if missing:
        raise ValueError(
            f"class(es) {missing} appear in y_test but not in y_train; no classifier "
            "or sampler trained on X_train can produce them. Drop them from the test "
            "set or add training beats."
        )
    needs_synth_train = any("synth" in PROTOCOLS[p][0] for p in names)
    needs_synth_test = any(PROTOCOLS[p][1] == "synth" for p in names)
    if (needs_synth_train or needs_synth_test) and sampler is None:
        raise ValueError(f"Protocols {names} need a sampler; got sampler=None.")
    train_labels = synthetic_labels(n_synthetic, ytr) if needs_synth_train else None
    if not refit and sampler is not None:
        check_fitted(sampler)

    # every seed drawn up front: a repeat depends on its own seeds only, so
    # that the repeats give the same numbers serially and in parallel
    seeds = check_random_state(random_state).randint(0, 2**31 - 1, size=(n_repeats, 4))
    data = (Xtr, ytr, Xte, yte, classes, train_labels)
    flags = (needs_synth_train, needs_synth_test, refit, reseed)
    runs = parallel_map(
        _one_repeat,
        [(sampler, classifier, names, data, flags, s) for s in seeds.tolist()],
        n_jobs=n_jobs,
        desc="protocols",
        verbose=verbose,
    )
    values: dict[tuple[str, str, Any], list[float]] = {}
    for scores in runs:
        for key, v in scores.items():
            values.setdefault(key, []).append(v)
    return to_frame(
        summarise_repeats(values, int(n_repeats), float(confidence)), as_frame
    )
