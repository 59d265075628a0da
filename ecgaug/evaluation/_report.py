"""``synthetic_quality_report``: every metric and protocol of a fitted sampler."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from ._protocols import PROTOCOLS, check_protocols, evaluate_protocols
from ._synthetic import check_fitted, draw, synthetic_labels
from ._tables import ReportTable, to_frame
from .metrics import (
    discriminative_score,
    frechet_distance,
    label_adherence,
    make_embedding,
    memorisation_score,
    mmd_rbf,
    precision_recall_density_coverage,
)
from .metrics._embedding import default_classifier, fit_reference_classifier
from .metrics._validation import check_beats, check_labels

__all__ = ["REPORT_METRICS", "synthetic_quality_report"]

#: Sections of the report, in order.
REPORT_METRICS = (
    "frechet",
    "mmd",
    "prdc",
    "discriminative",
    "adherence",
    "memorisation",
    "protocols",
)


def _real_like(X, y, labels, rng) -> tuple[np.ndarray, np.ndarray]:
    """Real beats of ``(X, y)`` with the class counts of ``labels`` (the reference)."""
    idx = []
    for c in np.unique(labels):
        pool = np.flatnonzero(y == c)
        k = int(np.sum(labels == c))
        idx.append(rng.choice(pool, size=k, replace=k > len(pool)))
    idx = np.concatenate(idx)
    return X[idx], y[idx]


def _memorisation(Xtr, ytr, X_q, y_q, per_class: bool, kw: dict):
    """:func:`memorisation_score` of ``X_q`` against every training beat.

    Pooled, and per class when asked (a class without beats in ``X_q`` has
    no per-class row).
    """
    pooled = memorisation_score(Xtr, ytr, X_q, y_q, **kw)
    per: dict = {}
    if per_class:
        keep = np.isin(ytr, np.unique(y_q))
        per = memorisation_score(Xtr[keep], ytr[keep], X_q, y_q, per_class=True, **kw)
    return pooled, per


def synthetic_quality_report(
    sampler: Any,
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    classifier: Any = None,
    embedding: Any = None,
    metrics: Sequence[str] = REPORT_METRICS,
    protocols: Sequence[str] = tuple(PROTOCOLS),
    n_synthetic: int | None = None,
    n_synthetic_train=None,
    n_repeats: int = 1,
    per_class: bool = True,
    max_samples: int | None = 2000,
    quantile: float = 0.05,
    cv: int = 5,
    target_names: Sequence[str] | None = None,
    random_state: int | np.random.RandomState | None = None,
    as_frame: bool | str = "auto",
    n_jobs: int | None = None,
    verbose: int = 0,
):
    """Judge a fitted sampler by every metric and protocol of :mod:`ecgaug.evaluation`.

    A synthetic set with the labels of the real test set is drawn once and
    compared with the real test beats by each metric, pooled and per class.
    Each row also gives the same metric for *real* training beats with the same
    class counts in place of the synthetic ones (``reference``): the value a
    generator as good as the real data would reach, since finite samples never
    give exactly 0 or 1.

    ==============  ===============================================  =========
    group           metrics                                          goal
    ==============  ===============================================  =========
    fidelity        ``frechet_distance`` (classifier embedding),     low
                    ``mmd_rbf``, ``precision``, ``density``,
                    ``discriminative_auc``
    diversity       ``recall``, ``coverage``                         high
    adherence       ``label_adherence`` (reference: the              high
                    classifier's recall on real test beats)
    privacy         ``dcr_ratio``, ``near_copy_rate`` (against       see goal
                    every training beat; reference: the real test
                    beats, measured the same way)
    utility         ``<protocol>_<score>`` of                        TRTR
                    :func:`evaluate_protocols` (reference: TRTR)
    ==============  ===============================================  =========

    Parameters
    ----------
    sampler : sampler
        A generative sampler fitted on ``(X_train, y_train)`` only (it is not
        refitted; test beats must never have reached it).
    X_train, y_train : array-like
        The real beats the sampler was fitted on, all of them: the
        memorisation rows search them for each synthetic beat's closest
        record, and a copy of a beat left out here would go unseen.
    X_test, y_test : array-like
        Held-out real beats.
    classifier : classifier, default=None
        The classifier of the protocols (cloned), and, fitted on ``(X_train,
        y_train)``, the judge of label adherence and the source of the
        embedding. ``None``: a small :class:`~ecgaug.classifiers.ResNetClassifier`
        (one residual block, 10 epochs). A fitted classifier is used as it is
        for adherence and embedding.
    embedding : None or see :func:`~ecgaug.evaluation.metrics.make_embedding`
        Feature space of the Fréchet distance; ``None`` takes the fitted
        ``classifier``'s ``embed`` (a ResNetClassifier's penultimate layer).
        The other metrics work on the raw beats.
    metrics : sequence of str, default=all
        Sections to compute, among ``"frechet"``, ``"mmd"``, ``"prdc"``,
        ``"discriminative"``, ``"adherence"``, ``"memorisation"`` and
        ``"protocols"``.
    protocols : sequence of str, default=all five
        Protocols of the ``"protocols"`` section.
    n_synthetic : int or None, default=None
        Synthetic beats drawn for the metrics: ``None`` one per test beat (the
        labels of ``y_test``), an int that many in the test class proportions.
    n_synthetic_train : None, int, float or dict, default=None
        Synthetic training set of the protocols (``n_synthetic`` of
        :func:`evaluate_protocols`; ``None``: the class counts of ``y_train``).
    n_repeats : int, default=1
        Repeats of the protocols (confidence intervals need 2 or more).
    per_class : bool, default=True
        Add one row per class to each pooled row.
    max_samples : int or None, default=2000
        Beats per set (per class) in the quadratic metrics (MMD, PRDC, AUC,
        DCR queries).
    quantile : float, default=0.05
        Near-copy threshold of :func:`~ecgaug.evaluation.metrics.memorisation_score`.
    cv : int, default=5
        Folds of :func:`~ecgaug.evaluation.metrics.discriminative_score`.
    target_names : sequence of str, default=None
        Names of the classes ``0 .. n_classes - 1`` in the ``label`` column
        (e.g. ``load_sample().target_names``).
    random_state : int, RandomState instance or None, default=None
        Seeds of the draws, the classifier and the metrics.
    as_frame : bool or "auto", default="auto"
        Return a pandas DataFrame (``"auto"``: when pandas is installed), else
        a dict of lists.
    n_jobs : int or None, default=None
        Jobs (joblib) of the discriminative AUC's folds and of the protocols'
        repeats; ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context, ``-1`` all CPUs. The report is the same as with one job.
        Read more in :ref:`scaling`.
    verbose : int, default=0
        Show a progress bar over the sections.

    Returns
    -------
    report : DataFrame or dict of lists
        Columns ``group``, ``metric``, ``label`` (``"all"`` or a class),
        ``value``, ``reference``, ``goal``, ``ci_low``, ``ci_high`` (utility
        rows with 2 or more repeats).

    See Also
    --------
    evaluate_protocols : The utility section alone, with every repeat.
    ecgaug.evaluation.metrics : The metric functions.

    References
    ----------
    .. [1] Núñez JF, Arjona J, Tormos A, García D, Béjar J. Applying generative
       models and transfer learning to physiological data classification
       (Table 1 and Figures 2-5, which this report generalises).

    Examples
    --------
    A "generator" that returns its training beats is caught by the privacy rows:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.evaluation import synthetic_quality_report
    >>> class CopyingSampler:
    ...     def fit(self, X, y):
    ...         self.X_, self.y_ = np.asarray(X), np.asarray(y)
    ...         return self
    ...     def sample(self, n_samples, y=None, *, random_state=None):
    ...         rng = np.random.default_rng(random_state)
    ...         idx = [rng.choice(np.flatnonzero(self.y_ == c)) for c in y]
    ...         return self.X_[idx], np.asarray(y)
    >>> X_train, y_train = load_sample(split="train", return_X_y=True)
    >>> X_test, y_test = load_sample(split="test", return_X_y=True)
    >>> sampler = CopyingSampler().fit(X_train, y_train)
    >>> report = synthetic_quality_report(
    ...     sampler, X_train, y_train, X_test, y_test,
    ...     classifier=LogisticRegression(max_iter=300), embedding="raw",
    ...     metrics=["memorisation"], per_class=False, random_state=0)
    >>> report[["metric", "value", "reference", "goal"]].round(3)
               metric  value  reference     goal
    0       dcr_ratio    0.0      0.994     >= 1
    1  near_copy_rate    1.0      0.054  <= 0.05

    The reference is what new real beats (the test beats) score: about 1
    and ``quantile``.
    """
    unknown = [m for m in metrics if m not in REPORT_METRICS]
    if unknown:
        raise ValueError(
            f"Unknown metric section(s) {unknown}; choose from {REPORT_METRICS}."
        )
    sections = [m for m in REPORT_METRICS if m in metrics]
    if "protocols" in sections:
        check_protocols(protocols)
    Xtr = check_beats(X_train, "X_train")
    Xte = check_beats(X_test, "X_test")
    if Xte.shape[1] != Xtr.shape[1]:
        raise ValueError(
            f"X_test has {Xte.shape[1]} features per beat but X_train has "
            f"{Xtr.shape[1]}."
        )
    ytr = check_labels(y_train, len(Xtr), "y_train", "X_train")
    yte = check_labels(y_test, len(Xte), "y_test", "X_test")
    missing = sorted(
        set(np.unique(yte).tolist()) - set(np.unique(ytr).tolist()), key=str
    )
    if missing:
        raise ValueError(f"class(es) {missing} appear in y_test but not in y_train.")
    check_fitted(sampler)
    rng = check_random_state(random_state)
    seeds = iter(int(s) for s in rng.randint(0, 2**31 - 1, size=16))
    names = {} if target_names is None else dict(enumerate(target_names))
    table = ReportTable(names)

    if (
        "frechet" in sections
        and embedding is None
        and classifier is not None
        and not hasattr(classifier, "embed")
    ):
        raise ValueError(
            f"The classifier {type(classifier).__name__} has no embed(); pass "
            "embedding='raw' or another embedding for the Fréchet distance."
        )
    need_clf = ("frechet" in sections and embedding is None) or "adherence" in sections
    clf_seed = next(seeds)
    fitted = None
    if need_clf:
        fitted = fit_reference_classifier(classifier, Xtr, ytr, random_state=clf_seed)
    labels = yte.copy() if n_synthetic is None else synthetic_labels(n_synthetic, yte)
    Xs, ys = draw(sampler, labels, next(seeds), Xtr, ytr)
    Xref, yref = _real_like(Xtr, ytr, ys, np.random.RandomState(next(seeds)))

    def both(fn, X_a, y_a, **kw):
        """``fn(X_test, y_test, X_a, y_a)`` pooled, and per class when asked.

        A class too small for the metric leaves out that metric's class rows,
        with a warning, instead of the whole report.
        """
        pooled = fn(Xte, yte, X_a, y_a, per_class=False, **kw)
        per = None
        if per_class:
            try:
                per = fn(Xte, yte, X_a, y_a, per_class=True, **kw)
            except ValueError as exc:
                warnings.warn(
                    f"{fn.__name__} per class skipped: {exc}", UserWarning, stacklevel=2
                )
        return pooled, per

    bar = tqdm(sections, desc="report", disable=not verbose)
    for section in bar:
        start = time.perf_counter()
        seed = next(seeds)
        if section == "frechet":
            kw = {
                "embedding": make_embedding(fitted if embedding is None else embedding)
            }
            table.add(
                "fidelity",
                "frechet_distance",
                both(frechet_distance, Xs, ys, **kw),
                both(frechet_distance, Xref, yref, **kw),
                "low",
            )
        elif section == "mmd":
            kw = {"max_samples": max_samples, "random_state": seed}
            table.add(
                "fidelity",
                "mmd_rbf",
                both(mmd_rbf, Xs, ys, **kw),
                both(mmd_rbf, Xref, yref, **kw),
                "0",
            )
        elif section == "prdc":
            kw = {"max_samples": max_samples, "random_state": seed}
            val = both(precision_recall_density_coverage, Xs, ys, **kw)
            ref = both(precision_recall_density_coverage, Xref, yref, **kw)
            for key, group in (
                ("precision", "fidelity"),
                ("density", "fidelity"),
                ("recall", "diversity"),
                ("coverage", "diversity"),
            ):
                table.add(
                    group,
                    key,
                    (val[0][key], val[1][key] if val[1] else None),
                    (ref[0][key], ref[1][key] if ref[1] else None),
                    "1",
                )
        elif section == "discriminative":
            kw = {
                "max_samples": max_samples,
                "cv": cv,
                "random_state": seed,
                "n_jobs": n_jobs,
            }
            table.add(
                "fidelity",
                "discriminative_auc",
                both(discriminative_score, Xs, ys, **kw),
                both(discriminative_score, Xref, yref, **kw),
                "0.5",
            )
        elif section == "adherence":
            # reference: the same classifier on the real test beats (its recall)
            table.add(
                "adherence",
                "label_adherence",
                both(label_adherence, Xs, ys, classifier=fitted),
                both(label_adherence, Xte, yte, classifier=fitted),
                "1",
            )
        elif section == "memorisation":
            kw = {
                "quantile": quantile,
                "max_samples": max_samples,
                "random_state": seed,
            }
            # reference: the real test beats in place of the synthetic ones,
            # measured like them (new real beats: what an honest generator
            # reaches), not the nominal 1 and ``quantile``
            val = _memorisation(Xtr, ytr, Xs, ys, per_class, kw)
            ref = _memorisation(Xtr, ytr, Xte, yte, per_class, kw)
            for key, goal in (
                ("dcr_ratio", ">= 1"),
                ("near_copy_rate", f"<= {quantile:g}"),
            ):
                table.add(
                    "privacy",
                    key,
                    (val[0][key], val[1].get(key)),
                    (ref[0][key], ref[1].get(key)),
                    goal,
                )
        elif section == "protocols":
            clf = (
                default_classifier(clf_seed)
                if classifier is None
                else clone(classifier)
            )
            res = evaluate_protocols(
                sampler,
                clf,
                Xtr,
                ytr,
                Xte,
                yte,
                protocols=protocols,
                n_synthetic=n_synthetic_train,
                n_repeats=n_repeats,
                refit=False,
                random_state=seed,
                as_frame=False,
                n_jobs=n_jobs,
            )
            table.add_protocols(res, per_class)
        bar.set_postfix(section=section, seconds=f"{time.perf_counter() - start:.0f}")
    return to_frame(table.as_dict(), as_frame)
