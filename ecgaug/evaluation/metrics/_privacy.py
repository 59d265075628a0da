"""Memorisation: synthetic beats that sit closer to training beats than new beats do."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.neighbors import NearestNeighbors

from ._embedding import make_embedding
from ._validation import (
    check_beats,
    check_labels,
    check_min_samples,
    check_real_synth,
    check_same_classes,
    plain,
    rng_from,
    subsample,
)

__all__ = ["MEMORISATION_KEYS", "memorisation_score"]

MEMORISATION_KEYS = ("dcr_ratio", "near_copy_rate", "dcr_synth", "dcr_reference")


def _reference_dcr(
    nn: NearestNeighbors,
    F_train: np.ndarray,
    F_holdout: np.ndarray | None,
    max_samples: int | None,
    rng: np.random.RandomState,
) -> np.ndarray:
    """Distance of new real beats to the closest training beat.

    With a hold-out set: its beats. Without: leave-one-out, each sampled
    training beat to the closest *other* training beat.
    """
    if F_holdout is not None:
        return nn.kneighbors(subsample(F_holdout, max_samples, rng), 1)[0][:, 0]
    n = len(F_train)
    idx = (
        np.arange(n)
        if max_samples is None or n <= max_samples
        else np.sort(rng.choice(n, size=int(max_samples), replace=False))
    )
    dist, ind = nn.kneighbors(F_train[idx], 2)
    return np.where(ind[:, 0] == idx, dist[:, 1], dist[:, 0])


def _scores(
    f_train: np.ndarray,
    f_synth: np.ndarray,
    f_holdout: np.ndarray | None,
    quantile: float,
    max_samples: int | None,
    rng: np.random.RandomState,
    where: str,
) -> dict[str, float]:
    check_min_samples(len(f_train), 2, f"X_train{where}", "memorisation_score")
    check_min_samples(len(f_synth), 1, f"X_synth{where}", "memorisation_score")
    if f_holdout is not None:
        check_min_samples(len(f_holdout), 1, f"X_holdout{where}", "memorisation_score")
    nn = NearestNeighbors(n_neighbors=2).fit(f_train)
    d_synth = nn.kneighbors(subsample(f_synth, max_samples, rng), 1)[0][:, 0]
    d_ref = _reference_dcr(nn, f_train, f_holdout, max_samples, rng)
    med_synth, med_ref = float(np.median(d_synth)), float(np.median(d_ref))
    if med_ref > 0:
        ratio = med_synth / med_ref
    else:
        warnings.warn(
            f"Half of the reference beats{where} have an exact copy in X_train; "
            "the DCR ratio is undefined (NaN).",
            UserWarning,
            stacklevel=3,
        )
        ratio = float("nan")
    threshold = float(np.quantile(d_ref, quantile))
    return {
        "dcr_ratio": ratio,
        "near_copy_rate": float(np.mean(d_synth <= threshold)),
        "dcr_synth": med_synth,
        "dcr_reference": med_ref,
    }


def memorisation_score(
    X_train: ArrayLike,
    y_train: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    X_holdout: ArrayLike | None = None,
    y_holdout: ArrayLike | None = None,
    quantile: float = 0.05,
    per_class: bool = False,
    embedding: Any = "raw",
    max_samples: int | None = 2000,
    random_state: int | np.random.RandomState | None = None,
) -> dict[str, float] | dict[str, dict[Any, float]]:
    """Distance to the closest training record (DCR) of synthetic beats.

    Beats of patients are personal data: a generator that reproduces its
    training beats leaks them. For every synthetic beat, the distance to the
    closest beat of ``X_train`` (the generator's training set) is compared with
    the same distance for *new* real beats: those of ``X_holdout``, or, without
    one, each training beat's distance to the closest other training beat
    (leave-one-out) [1]_.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
        The beats the generator was trained on (all of them: a copy of a beat
        left out here goes unseen).
    y_train : array-like of shape (n_train,) or None
        Their labels; needed for ``per_class``.
    X_synth : array-like of shape (n_synth, n_features)
        Synthetic beats.
    y_synth : array-like of shape (n_synth,) or None
        Their labels.
    X_holdout : array-like of shape (n_holdout, n_features), default=None
        Real beats the generator never saw, from the same population as
        ``X_train`` (beats of the same patients, for a beat-level split). Beats
        of other patients lie farther from ``X_train`` and would make honest
        synthetic beats look like copies; ``None`` uses leave-one-out
        distances within ``X_train``, which avoids that.
    y_holdout : array-like of shape (n_holdout,), default=None
        Their labels, for ``per_class``.
    quantile : float, default=0.05
        A synthetic beat is a near-copy when it is closer to a training beat
        than this quantile of the reference distances. An honest generator has
        a ``near_copy_rate`` of about ``quantile``.
    per_class : bool, default=False
        Compare within each class.
    embedding : "raw", None, classifier, torch module, transformer or callable, \
            default="raw"
        Feature space of the distances (see :func:`make_embedding`).
    max_samples : int or None, default=2000
        Synthetic and reference beats drawn at random (per class) as queries;
        every training beat is searched.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling.

    Returns
    -------
    scores : dict
        - ``"dcr_ratio"``: median synthetic DCR / median reference DCR; about 1
          (or more) for an honest generator, near 0 for one that copies;
        - ``"near_copy_rate"``: share of synthetic beats that are near-copies;
          about ``quantile`` when honest, near 1 for a copying generator;
        - ``"dcr_synth"``, ``"dcr_reference"``: the two medians.

        With ``per_class`` each value is a dict ``{class: value}``.

    See Also
    --------
    precision_recall_density_coverage : Fidelity and diversity.

    References
    ----------
    .. [1] Zhao Z, Kunar A, Birke R, Chen LY. CTAB-GAN: Effective table data
       synthesizing. ACML 2021 (distance to closest record).

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.evaluation.metrics import memorisation_score
    >>> rng = np.random.default_rng(0)
    >>> X_train = rng.normal(size=(500, 8))
    >>> copies = memorisation_score(X_train, None, X_train[:100], None)
    >>> round(copies["dcr_ratio"], 3), copies["near_copy_rate"]
    (0.0, 1.0)
    """
    if not 0.0 < float(quantile) < 1.0:
        raise ValueError(f"quantile must lie in (0, 1), got {quantile!r}.")
    Xt, yt, Xs, ys = check_real_synth(X_train, y_train, X_synth, y_synth)
    Xh = yh = None
    if X_holdout is not None:
        Xh = check_beats(X_holdout, "X_holdout")
        if Xh.shape[1] != Xt.shape[1]:
            raise ValueError(
                f"X_holdout has {Xh.shape[1]} features per beat but X_train has "
                f"{Xt.shape[1]}."
            )
        if y_holdout is not None:
            yh = check_labels(y_holdout, len(Xh), "y_holdout", "X_holdout")
            if yt is not None:
                check_same_classes(yt, yh, "y_train", "y_holdout")
    rng = rng_from(random_state)
    embed = make_embedding(embedding, Xt, yt, random_state=rng)
    Ft, Fs = embed(Xt), embed(Xs)
    Fh = None if Xh is None else embed(Xh)
    if not per_class:
        return _scores(Ft, Fs, Fh, float(quantile), max_samples, rng, "")
    if yt is None:
        raise ValueError("per_class=True needs the labels y_train and y_synth.")
    if Fh is not None and yh is None:
        raise ValueError("per_class=True with X_holdout needs y_holdout.")
    per = {
        plain(c): _scores(
            Ft[yt == c],
            Fs[ys == c],
            None if Fh is None else Fh[yh == c],
            float(quantile),
            max_samples,
            rng,
            f" of class {plain(c)!r}",
        )
        for c in np.unique(yt)
    }
    return {k: {c: v[k] for c, v in per.items()} for k in MEMORISATION_KEYS}
