"""Precision, recall, density and coverage of synthetic beats (Naeem et al. 2020)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import pairwise_distances_chunked

from ._embedding import make_embedding
from ._validation import (
    by_class,
    check_min_samples,
    check_real_synth,
    rng_from,
    subsample,
)

__all__ = ["precision_recall_density_coverage"]

PRDC_KEYS = ("precision", "recall", "density", "coverage")


def _kth_neighbour_radii(features: np.ndarray, nearest_k: int) -> np.ndarray:
    """Distance from each row to its ``nearest_k``-th nearest other row.

    Computed with the same function as the real-synthetic distances, so that a
    beat lying exactly on a ball's edge (identical sets) is judged the same way
    on both sides; a k-d tree would round differently and move such ties.
    """
    radii = [
        np.partition(block, nearest_k, axis=1)[:, nearest_k]  # index 0: the row itself
        for block in pairwise_distances_chunked(features, features)
    ]
    return np.concatenate(radii)


def _compute_prdc(fr: np.ndarray, fs: np.ndarray, nearest_k: int) -> dict[str, float]:
    """The four values of Naeem et al. (2020), Eqs. 3-6, with balls open as there.

    ``fr`` (real) and ``fs`` (synthetic) are feature rows. The real-synthetic
    distances are computed a block of real rows at a time, so memory stays
    within scikit-learn's ``working_memory`` whatever the set sizes.
    """
    # float32 as in prdc: distances are computed in float64 and rounded to float32.
    fr, fs = np.asarray(fr, dtype=np.float32), np.asarray(fs, dtype=np.float32)
    radii_real = _kth_neighbour_radii(fr, nearest_k)  # (n_real,)
    radii_synth = _kth_neighbour_radii(fs, nearest_k)  # (n_synth,)
    balls_holding = np.zeros(len(fs), dtype=np.int64)  # real balls around each synth
    real_in_synth = np.zeros(len(fr), dtype=bool)  # real row inside a synth ball
    covered = np.zeros(len(fr), dtype=bool)  # real ball holding a synth row
    start = 0
    for block in pairwise_distances_chunked(fr, fs):  # (rows, n_synth)
        rows = slice(start, start + len(block))
        inside = block < radii_real[rows, None]
        balls_holding += inside.sum(axis=0)
        covered[rows] = block.min(axis=1) < radii_real[rows]
        real_in_synth[rows] = (block < radii_synth[None, :]).any(axis=1)
        start += len(block)
    return {
        "precision": float(np.mean(balls_holding > 0)),
        "recall": float(np.mean(real_in_synth)),
        "density": float(np.mean(balls_holding) / nearest_k),
        "coverage": float(np.mean(covered)),
    }


def precision_recall_density_coverage(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    nearest_k: int = 5,
    per_class: bool = False,
    embedding: Any = "raw",
    max_samples: int | None = 5000,
    random_state: int | np.random.RandomState | None = None,
) -> dict[str, float] | dict[str, dict[Any, float]]:
    """Fidelity and diversity of synthetic beats from k-nearest-neighbour balls.

    Around every real beat lies a ball reaching its ``nearest_k``-th nearest
    real neighbour; the union of these balls estimates the support of the real
    distribution (and likewise for the synthetic beats) [1]_, [2]_:

    - **precision**: share of synthetic beats inside the real support
      (fidelity);
    - **recall**: share of real beats inside the synthetic support
      (diversity);
    - **density**: how many real balls hold a synthetic beat, divided by
      ``nearest_k``, on average (about 1 for matching distributions, above 1
      for beats crowded where the real ones are dense);
    - **coverage**: share of real balls that hold at least one synthetic beat
      (diversity that is robust to outliers).

    A ball is open (a beat on its edge is outside), as in [2]_ and its
    reference implementation, the ``prdc`` package, whose values these equal
    (tested, ties included); unlike ``prdc`` it needs no extra package,
    prints nothing, starts no worker processes (``prdc`` asks for 8), and
    holds only a block of the distance matrix in memory at a time.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth
        Real and synthetic beats and their labels (labels may be ``None``
        on both sides unless ``per_class``); see
        :func:`~ecgaug.evaluation.metrics.frechet_distance`.
    nearest_k : int, default=5
        Neighbour that sets the radius of each ball. Each set (each class, when
        ``per_class``) needs at least ``nearest_k + 2`` beats.
    per_class : bool, default=False
        Compute the four values within each class.
    embedding : "raw", None, classifier, torch module, transformer or callable, \
            default="raw"
        Feature space (see :func:`make_embedding`); the beats themselves by
        default.
    max_samples : int or None, default=5000
        Beats drawn at random from each set (each class); the distance
        matrices take ``O(max_samples^2)`` memory.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling (and of a default embedding network).

    Returns
    -------
    scores : dict
        ``{"precision": p, "recall": r, "density": d, "coverage": c}``; with
        ``per_class`` each value is a dict ``{class: value}``. Identical sets
        give 1 for all four.

    See Also
    --------
    discriminative_score : Fidelity from a real-vs-synthetic classifier.

    References
    ----------
    .. [1] Kynkäänniemi T, Karras T, Laine S, Lehtinen J, Aila T. Improved
       precision and recall metric for assessing generative models.
       NeurIPS 2019.
    .. [2] Naeem MF, Oh SJ, Uh Y, Choi Y, Yoo J. Reliable fidelity and
       diversity metrics for generative models. ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.evaluation.metrics import precision_recall_density_coverage
    >>> X = np.random.default_rng(0).normal(size=(200, 8))
    >>> scores = precision_recall_density_coverage(X, None, X, None)
    >>> {k: round(v, 2) for k, v in scores.items()}
    {'precision': 1.0, 'recall': 1.0, 'density': 1.0, 'coverage': 1.0}
    """
    if not isinstance(nearest_k, int | np.integer) or nearest_k < 1:
        raise ValueError(f"nearest_k must be a positive integer, got {nearest_k!r}.")
    Xr, yr, Xs, ys = check_real_synth(X_real, y_real, X_synth, y_synth)
    rng = rng_from(random_state)
    embed = make_embedding(embedding, Xr, yr, random_state=rng)
    need = int(nearest_k) + 2

    def prdc(xr: np.ndarray, xs: np.ndarray, where: str) -> dict[str, float]:
        check_min_samples(len(xr), need, f"X_real{where}", f"PRDC with k={nearest_k}")
        check_min_samples(len(xs), need, f"X_synth{where}", f"PRDC with k={nearest_k}")
        fr = embed(subsample(xr, max_samples, rng))
        fs = embed(subsample(xs, max_samples, rng))
        return _compute_prdc(fr, fs, int(nearest_k))

    out = by_class(prdc, Xr, yr, Xs, ys, per_class)
    if not per_class:
        return out
    return {k: {c: v[k] for c, v in out.items()} for k in PRDC_KEYS}
