"""Scorers that let ``GridSearchCV`` choose a sampler's hyperparameters.

A scorer is called as ``scorer(fitted_estimator, X_valid, y_valid)``. Here the
fitted estimator is a generative sampler, or a pipeline that holds one, and
``(X_valid, y_valid)`` are real beats it never saw: the scorer draws synthetic
beats from the sampler and judges them against those real ones, by a fidelity
metric or by TSTR (a classifier trained on the synthetic beats, scored on the
real ones). Greater is better, as scikit-learn expects: distances are negated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import get_scorer

from ._synthetic import draw, synthetic_labels
from .metrics import (
    discriminative_score,
    frechet_distance,
    label_adherence,
    mmd_rbf,
    precision_recall_density_coverage,
)
from .metrics._validation import check_beats, check_labels

__all__ = ["FIDELITY_SCORERS", "make_fidelity_scorer", "make_tstr_scorer"]

#: metric -> how the scorer turns it into "greater is better".
FIDELITY_SCORERS = {
    "frechet_distance": "-FD",
    "mmd_rbf": "-MMD^2",
    "precision": "precision",
    "recall": "recall",
    "density": "-|density - 1|",
    "coverage": "coverage",
    "discriminative_score": "-|AUC - 0.5|",
    "label_adherence": "label adherence",
}


def find_sampler(estimator) -> tuple[Any, Any, Any]:
    """The fitted sampler of ``estimator``, the fitted steps before it, the steps after.

    ``estimator`` is a sampler (it has ``sample``) or a fitted
    :class:`imblearn.pipeline.Pipeline` holding one; the two other values are
    ``None`` or sub-pipelines.
    """
    if callable(getattr(estimator, "sample", None)):
        return estimator, None, None
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        for i in range(len(steps) - 1, -1, -1):
            if callable(getattr(steps[i][1], "sample", None)):
                before = estimator[:i] if i > 0 else None
                after = estimator[i + 1 :] if i + 1 < len(steps) else None
                return steps[i][1], before, after
    raise TypeError(
        f"This scorer needs a generative sampler (an object with sample()) or a "
        f"Pipeline that holds one; got {type(estimator).__name__}."
    )


class _SamplerScorer:
    """Draw beats from the fitted sampler in ``estimator`` and judge them."""

    def __init__(self, kind: str, params: dict[str, Any]):
        self.kind = kind
        self.params = params

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"make_{self.kind}_scorer({args})"

    def _real_and_synth(self, estimator, X, y, labels_for):
        sampler, before, after = find_sampler(estimator)
        X = check_beats(X if before is None else before.transform(X), "X")
        y = check_labels(y, len(X), "y", "X")
        n_in = getattr(sampler, "n_features_in_", X.shape[1])
        if X.shape[1] != n_in:
            raise ValueError(
                f"X has {X.shape[1]} features per beat but the sampler was fitted "
                f"on {n_in}."
            )
        labels = labels_for(sampler, y)
        seed = int(
            np.random.RandomState(self.params["random_state"]).randint(2**31 - 1)
        )
        X_synth, y_synth = draw(sampler, labels, seed, X, y)
        return X, y, X_synth, y_synth, after

    def __call__(self, estimator, X, y, sample_weight=None) -> float:
        if self.kind == "fidelity":
            return self._fidelity(estimator, X, y)
        return self._tstr(estimator, X, y)

    def _fidelity(self, estimator, X, y) -> float:
        p = self.params

        def labels_for(sampler, y):
            return (
                y.copy()
                if p["n_samples"] is None
                else synthetic_labels(p["n_samples"], y)
            )

        Xr, yr, Xs, ys, _ = self._real_and_synth(estimator, X, y, labels_for)
        metric, rs, kw = p["metric"], p["random_state"], dict(p["metric_params"])
        per_class = p["per_class"]
        if metric == "frechet_distance":
            kw.setdefault("embedding", "raw")
            value = frechet_distance(
                Xr, yr, Xs, ys, per_class=per_class, random_state=rs, **kw
            )
        elif metric == "mmd_rbf":
            value = mmd_rbf(Xr, yr, Xs, ys, per_class=per_class, random_state=rs, **kw)
        elif metric == "discriminative_score":
            value = discriminative_score(
                Xr, yr, Xs, ys, per_class=per_class, random_state=rs, **kw
            )
        elif metric == "label_adherence":
            value = label_adherence(
                Xr, yr, Xs, ys, per_class=per_class, random_state=rs, **kw
            )
        else:
            value = precision_recall_density_coverage(
                Xr, yr, Xs, ys, per_class=per_class, random_state=rs, **kw
            )[metric]
        value = float(np.mean(list(value.values()))) if per_class else float(value)
        if metric in ("frechet_distance", "mmd_rbf"):
            return -value
        if metric == "density":
            return -abs(value - 1.0)
        if metric == "discriminative_score":
            return -abs(value - 0.5)
        return value

    def _tstr(self, estimator, X, y) -> float:
        p = self.params

        def labels_for(sampler, y):
            if p["n_samples"] is not None:
                return synthetic_labels(p["n_samples"], y)
            counts = getattr(sampler, "class_counts_", None)
            classes = getattr(sampler, "classes_", None)
            if counts is not None and classes is not None:  # the training fold's
                return np.repeat(np.asarray(classes), np.asarray(counts))
            return y.copy()

        Xr, yr, Xs, ys, after = self._real_and_synth(estimator, X, y, labels_for)
        clf = p["classifier"] if p["classifier"] is not None else after
        if clf is None:
            raise ValueError(
                "make_tstr_scorer(classifier=None) takes the classifier that follows "
                "the sampler in a Pipeline; this estimator is a bare sampler, so pass "
                "make_tstr_scorer(classifier=...)."
            )
        clf = clone(clf)
        if (
            "random_state" in clf.get_params(deep=False)
            and p["random_state"] is not None
        ):
            clf.set_params(random_state=p["random_state"])
        clf.fit(Xs, ys)
        return float(get_scorer(p["scoring"])(clf, Xr, yr))


def make_fidelity_scorer(
    metric: str = "mmd_rbf",
    *,
    per_class: bool = False,
    n_samples: int | None = None,
    random_state: int | None = 0,
    **metric_params,
) -> _SamplerScorer:
    """A scorer that rates a fitted sampler by the fidelity of its beats.

    Called as ``scorer(estimator, X_valid, y_valid)``, it draws synthetic beats
    with the labels of ``y_valid`` from the sampler in ``estimator`` and
    compares them with the real ``X_valid`` by ``metric``. Use it as
    ``GridSearchCV(sampler, param_grid, scoring=scorer)``: each candidate
    sampler is fitted on the training folds, and judged on beats it never saw.

    - **A bare sampler** as the searched estimator: ``GridSearchCV`` calls
      ``sampler.fit`` (which trains the generator) and then the scorer. This is
      the cheap way to tune a generator for fidelity; ``best_estimator_`` is
      the sampler refitted on all the data.
    - **A** :class:`imblearn.pipeline.Pipeline` ``(sampler, ..., classifier)``:
      the scorer finds the fitted sampler inside the pipeline (steps before it
      transform ``X_valid`` first), and ignores the classifier, which the
      pipeline trains anyway: to choose by the classifier's score, use an
      ordinary scorer such as ``"f1_macro"`` (the augmented pipeline, TRSTR) or
      :func:`make_tstr_scorer`.

    Parameters
    ----------
    metric : str, default="mmd_rbf"
        ``"frechet_distance"`` (−FD; on the raw beats unless
        ``embedding=`` is passed in ``metric_params``), ``"mmd_rbf"`` (−MMD²),
        ``"precision"``, ``"recall"``, ``"coverage"``, ``"density"``
        (−|density − 1|), ``"discriminative_score"`` (−|AUC − 0.5|) or
        ``"label_adherence"`` (needs ``classifier=`` in ``metric_params``, a
        classifier fitted on real beats, else one is trained on ``X_valid``).
    per_class : bool, default=False
        Average the metric over the classes instead of the pooled sets.
    n_samples : int or None, default=None
        Synthetic beats to draw; ``None`` draws one per validation beat (same
        class mix), an int that many in the validation class proportions.
    random_state : int or None, default=0
        Seed of the draws and metrics. A fixed seed gives every candidate the
        same random numbers, so that differences come from the parameters.
    **metric_params
        Passed to the metric function (``max_samples``, ``embedding``,
        ``nearest_k``, ``gamma``, ``classifier``...).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``, greater is better.

    See Also
    --------
    make_tstr_scorer : Rate a sampler by the usefulness of its beats.
    ecgaug.evaluation.metrics : The metric functions.

    References
    ----------
    .. [1] Naeem MF, Oh SJ, Uh Y, Choi Y, Yoo J. Reliable fidelity and
       diversity metrics for generative models. ICML 2020.

    Examples
    --------
    Choose the number of epochs of a generator by the coverage of its beats
    (``sampler`` any ecgaug sampler, ``X, y`` real beats)::

        search = GridSearchCV(
            sampler: Any,
            {"n_epochs": [10, 50]},
            scoring=make_fidelity_scorer("coverage", per_class=True),
            cv=StratifiedKFold(3),
        ).fit(X, y)

    >>> from ecgaug.evaluation import make_fidelity_scorer
    >>> make_fidelity_scorer("coverage", nearest_k=3)
    make_fidelity_scorer(metric='coverage', per_class=False, n_samples=None, \
random_state=0, metric_params={'nearest_k': 3})
    """
    if metric not in FIDELITY_SCORERS:
        raise ValueError(
            f"Unknown fidelity metric {metric!r}; choose from {list(FIDELITY_SCORERS)}."
        )
    return _SamplerScorer(
        "fidelity",
        {
            "metric": metric,
            "per_class": per_class,
            "n_samples": n_samples,
            "random_state": random_state,
            "metric_params": metric_params,
        },
    )


def make_tstr_scorer(
    classifier: Any = None,
    *,
    scoring: str = "f1_macro",
    n_samples=None,
    random_state: int | None = 0,
) -> _SamplerScorer:
    """A scorer that rates a fitted sampler by TSTR: train on synthetic, test on real.

    Called as ``scorer(estimator, X_valid, y_valid)``, it draws a synthetic
    training set from the sampler in ``estimator``, fits a clone of
    ``classifier`` on it, and returns that classifier's ``scoring`` on the real
    validation beats.

    - **A bare sampler** as the searched estimator
      (``GridSearchCV(sampler, grid, scoring=make_tstr_scorer(clf))``): the
      sampler is fitted on the training folds, ``classifier`` is required.
    - **A** :class:`imblearn.pipeline.Pipeline` ``(sampler, ..., classifier)``:
      with ``classifier=None`` the scorer trains a clone of the steps after
      the sampler on synthetic beats alone (the pipeline's own classifier,
      trained on real and synthetic beats, is what an ordinary scorer such as
      ``"f1_macro"`` rates). Steps before the sampler transform ``X_valid``.

    Parameters
    ----------
    classifier : classifier, default=None
        Unfitted classifier to train on the synthetic beats (cloned); ``None``
        takes the steps after the sampler in a pipeline.
    scoring : str, default="f1_macro"
        A scikit-learn scorer name (``"accuracy"``, ``"balanced_accuracy"``,
        ``"recall_macro"``...).
    n_samples : None, int, float or dict, default=None
        Synthetic training set: ``None`` takes the class counts of the
        sampler's training fold (``class_counts_``, else the validation
        labels); otherwise as ``n_synthetic`` of :func:`evaluate_protocols`,
        relative to the validation labels.
    random_state : int or None, default=0
        Seed of the draw and of the classifier (when it has ``random_state``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``, greater is better.

    See Also
    --------
    make_fidelity_scorer : Rate a sampler by the fidelity of its beats.
    evaluate_protocols : TSTR and the other protocols, with repeats.

    References
    ----------
    .. [1] Esteban C, Hyland SL, Rätsch G. Real-valued (medical) time series
       generation with recurrent conditional GANs. arXiv:1706.02633, 2017.

    Examples
    --------
    Tune a generator inside an imbalanced-learn pipeline, keeping the
    candidate whose beats alone train the best classifier::

        pipe = make_pipeline(sampler, ResNetClassifier(max_epochs=5))
        search = GridSearchCV(
            pipe,
            {"ttscgansampler__n_epochs": [5, 20]},
            scoring={"tstr": make_tstr_scorer(), "trstr": "f1_macro"},
            refit="tstr",
        ).fit(X, y)

    >>> from sklearn.linear_model import LogisticRegression
    >>> from ecgaug.evaluation import make_tstr_scorer
    >>> make_tstr_scorer(LogisticRegression(), scoring="balanced_accuracy")
    make_tstr_scorer(classifier=LogisticRegression(), scoring='balanced_accuracy', \
n_samples=None, random_state=0)
    """
    get_scorer(scoring)  # fails early on an unknown name
    return _SamplerScorer(
        "tstr",
        {
            "classifier": classifier,
            "scoring": scoring,
            "n_samples": n_samples,
            "random_state": random_state,
        },
    )
