"""Discriminative score: can a classifier tell synthetic beats from real ones?"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

from ._embedding import make_embedding
from ._validation import (
    by_class,
    check_min_samples,
    check_real_synth,
    rng_from,
    subsample,
)

__all__ = ["discriminative_score"]


def discriminative_score(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    classifier: Any = None,
    cv: int = 5,
    per_class: bool = False,
    embedding: Any = "raw",
    max_samples: int | None = 5000,
    random_state: int | np.random.RandomState | None = None,
    n_jobs: int | None = None,
) -> float | dict[Any, float]:
    """Cross-validated ROC AUC of a classifier trained to tell real from synthetic.

    The real beats are labelled 0 and the synthetic ones 1; a classifier is
    trained and scored by stratified ``cv``-fold cross-validation. An AUC of
    0.5 means that it cannot tell them apart (the ideal), 1.0 that every
    synthetic beat is recognisable (the "classifier two-sample test" [1]_,
    the discriminative score of TimeGAN [2]_).

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth
        Real and synthetic beats and their labels (labels may be ``None``
        on both sides unless ``per_class``); see
        :func:`~ecgaug.evaluation.metrics.frechet_distance`.
    classifier : estimator, default=None
        Any scikit-learn classifier with ``predict_proba`` or
        ``decision_function``, cloned for each fold. ``None`` uses a
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (100
        iterations, leaves of at most 20 beats and fewer for small sets),
        which sees differences of shape, amplitude and noise.
    cv : int, default=5
        Number of stratified folds; each set (class) needs ``cv`` beats.
        Identical beats (a real beat and its synthetic copy) are kept in one
        fold, so that identical sets score 0.5, not less.
    per_class : bool, default=False
        One AUC per class (real beats of class c vs synthetic beats of c).
    embedding : "raw", None, classifier, torch module, transformer or callable, \
            default="raw"
        Feature space the classifier sees (see :func:`make_embedding`).
    max_samples : int or None, default=5000
        Beats drawn at random from each set (each class).
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling, the folds and the default classifier.
    n_jobs : int or None, default=None
        Folds fitted at once (joblib, through
        :func:`~sklearn.model_selection.cross_val_score`); ``None`` means 1
        unless in a :func:`joblib.parallel_config` context, ``-1`` all CPUs.
        The AUC is the same as with one job.

    Returns
    -------
    auc : float or dict
        Mean AUC over the folds, or ``{class: auc}`` when ``per_class``. Values
        a little under 0.5 are chance; near-copies of real beats (a generator
        that memorises, see :func:`memorisation_score`) can give clearly less.

    See Also
    --------
    precision_recall_density_coverage : Fidelity and diversity from neighbours.

    References
    ----------
    .. [1] Lopez-Paz D, Oquab M. Revisiting classifier two-sample tests.
       ICLR 2017.
    .. [2] Yoon J, Jarrett D, van der Schaar M. Time-series generative
       adversarial networks. NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.evaluation.metrics import discriminative_score
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 8))
    >>> discriminative_score(X, None, X + 2.0, None, random_state=0) > 0.95
    True
    """
    if not isinstance(cv, int | np.integer) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2, got {cv!r}.")
    Xr, yr, Xs, ys = check_real_synth(X_real, y_real, X_synth, y_synth)
    rng = rng_from(random_state)
    embed = make_embedding(embedding, Xr, yr, random_state=rng)

    def auc(xr: np.ndarray, xs: np.ndarray, where: str) -> float:
        check_min_samples(len(xr), cv, f"X_real{where}", f"{cv}-fold AUC")
        check_min_samples(len(xs), cv, f"X_synth{where}", f"{cv}-fold AUC")
        fr = embed(subsample(xr, max_samples, rng))
        fs = embed(subsample(xs, max_samples, rng))
        Z = np.vstack([fr, fs])
        t = np.r_[np.zeros(len(fr), dtype=np.int64), np.ones(len(fs), dtype=np.int64)]
        seed = int(rng.randint(0, 2**31 - 1))
        if classifier is None:
            # leaves of 20 beats (the default) cannot split folds of small classes
            leaf = max(1, min(20, len(Z) // (4 * int(cv))))
            clf = HistGradientBoostingClassifier(
                max_iter=100, min_samples_leaf=leaf, random_state=seed
            )
        else:
            clf = clone(classifier)
        # identical beats share a fold: a copy on one side of the split and its
        # original on the other would teach the classifier the wrong label
        groups = np.unique(Z, axis=0, return_inverse=True)[1].reshape(-1)
        folds = StratifiedGroupKFold(n_splits=int(cv), shuffle=True, random_state=seed)
        scores = cross_val_score(
            clf, Z, t, groups=groups, cv=folds, scoring="roc_auc", n_jobs=n_jobs
        )
        return float(np.mean(scores))

    return by_class(auc, Xr, yr, Xs, ys, per_class)
