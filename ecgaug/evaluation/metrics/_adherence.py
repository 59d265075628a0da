"""Label adherence: are synthetic beats of class c recognised as class c?"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._embedding import fit_reference_classifier
from ._validation import check_real_synth, plain

__all__ = ["label_adherence"]


def label_adherence(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    classifier: Any = None,
    per_class: bool = False,
    random_state: int | np.random.RandomState | None = None,
) -> float | dict[Any, float]:
    """Share of synthetic beats that a classifier trained on real beats assigns
    to the class they were generated for.

    A class-conditional generator that ignores its label, or mixes classes,
    scores low even when its beats look realistic. Compare each class with the
    same classifier's recall on held-out real beats (the best a generator can
    expect).

    Parameters
    ----------
    X_real, y_real : array-like
        Real beats and labels that train the classifier (unused by a fitted
        one, apart from the class check).
    X_synth, y_synth : array-like
        Synthetic beats and the labels they were conditioned on.
    classifier : classifier, default=None
        ``None`` trains a small :class:`~ecgaug.classifiers.ResNetClassifier`
        (one residual block, 10 epochs) on ``(X_real, y_real)``; a fitted
        classifier is used as it is; an unfitted one is cloned and fitted on
        ``(X_real, y_real)``.
    per_class : bool, default=False
        One share per class instead of the share over all synthetic beats.
    random_state : int, RandomState instance or None, default=None
        Seed of the default classifier.

    Returns
    -------
    adherence : float or dict
        In ``[0, 1]``; ``{class: share}`` when ``per_class``.

    See Also
    --------
    ecgaug.evaluation.evaluate_protocols : TRTS, the same idea over a whole
        synthetic test set.

    References
    ----------
    .. [1] Ravuri S, Vinyals O. Classification accuracy score for conditional
       generative models. NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from ecgaug.evaluation.metrics import label_adherence
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 4)), rng.normal(4, 1, (100, 4))]
    >>> y = np.repeat([0, 1], 100)
    >>> label_adherence(X, y, X, y, classifier=LogisticRegression()) > 0.95
    True
    """
    Xr, yr, Xs, ys = check_real_synth(
        X_real, y_real, X_synth, y_synth, require_labels=True
    )
    clf = fit_reference_classifier(classifier, Xr, yr, random_state=random_state)
    known = set(np.asarray(getattr(clf, "classes_", np.unique(yr))).tolist())
    unknown = sorted(set(np.unique(ys).tolist()) - known, key=str)
    if unknown:
        raise ValueError(
            f"y_synth has class(es) {unknown} that the classifier does not know "
            f"(its classes_ are {sorted(known, key=str)})."
        )
    pred = np.asarray(clf.predict(Xs))
    hit = pred == ys
    if not per_class:
        return float(hit.mean())
    return {plain(c): float(hit[ys == c].mean()) for c in np.unique(yr)}
