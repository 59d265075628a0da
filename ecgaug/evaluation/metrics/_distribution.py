"""Distances between the distributions of real and synthetic beats: Fréchet and MMD."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel

from ._embedding import make_embedding
from ._validation import (
    by_class,
    check_min_samples,
    check_real_synth,
    rng_from,
    subsample,
)

__all__ = ["frechet_distance", "mmd_rbf"]


def _frechet(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))`` for PSD ``S1``, ``S2``.

    ``Tr((S1 S2)^(1/2))`` is the sum of the square roots of the eigenvalues of
    the symmetric PSD matrix ``S1^(1/2) S2 S1^(1/2)``, which is stable where
    ``scipy.linalg.sqrtm`` of the non-symmetric ``S1 S2`` is not.
    """
    diff = mu1 - mu2
    w, V = np.linalg.eigh(s1)
    sqrt_s1 = (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T
    m = sqrt_s1 @ s2 @ sqrt_s1
    ev = np.linalg.eigvalsh((m + m.T) / 2.0)
    tr_covmean = float(np.sqrt(np.clip(ev, 0.0, None)).sum())
    fd = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(fd, 0.0)


def frechet_distance(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    embedding: Any = None,
    per_class: bool = False,
    random_state: int | np.random.RandomState | None = None,
) -> float | dict[Any, float]:
    """Fréchet distance between real and synthetic beats in a feature space.

    Each set is summarised by the mean and covariance of its features, and the
    Fréchet (2-Wasserstein) distance between the two Gaussians is returned, as
    in the FID of images [1]_. ECG has no pretrained feature network, so by
    default the features are the penultimate layer of a small residual
    classifier trained on the real beats (the "FID" of ECG).

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
        Real beats.
    y_real : array-like of shape (n_real,) or None
        Their labels; needed for ``per_class=True`` and for the default
        embedding.
    X_synth : array-like of shape (n_synth, n_features)
        Synthetic beats.
    y_synth : array-like of shape (n_synth,) or None
        Their labels; same classes as ``y_real``.
    embedding : None, "raw", classifier, torch module, transformer or callable, \
            default=None
        Feature space (see :func:`make_embedding`). ``None`` trains a small
        :class:`~ecgaug.classifiers.ResNetClassifier` on ``(X_real, y_real)``
        and uses :meth:`~ecgaug.classifiers.ResNet1D.embed`; pass a fitted one
        to compare several samplers in the same space.
    per_class : bool, default=False
        Return one distance per class (the classes of ``y_real``) instead of
        the distance between the pooled sets.
    random_state : int, RandomState instance or None, default=None
        Seed of the default embedding network.

    Returns
    -------
    distance : float or dict
        Non-negative; 0 for identical sets. A dict ``{class: distance}`` when
        ``per_class``. Its scale depends on the embedding: compare samplers in
        one embedding, and against the distance between two real sets.

    See Also
    --------
    mmd_rbf : A kernel two-sample distance without the Gaussian assumption.
    make_embedding : The feature spaces.

    References
    ----------
    .. [1] Heusel M, Ramsauer H, Unterthiner T, Nessler B, Hochreiter S. GANs
       trained by a two time-scale update rule converge to a local Nash
       equilibrium. NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.evaluation.metrics import frechet_distance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 8))
    >>> round(frechet_distance(X, None, X, None, embedding="raw"), 6)
    0.0
    """
    Xr, yr, Xs, ys = check_real_synth(X_real, y_real, X_synth, y_synth)
    embed = make_embedding(embedding, Xr, yr, random_state=random_state)
    Fr, Fs = embed(Xr), embed(Xs)

    def fd(fr: np.ndarray, fs: np.ndarray, where: str) -> float:
        check_min_samples(len(fr), 2, f"X_real{where}", "frechet_distance")
        check_min_samples(len(fs), 2, f"X_synth{where}", "frechet_distance")
        s_r = np.atleast_2d(np.cov(fr, rowvar=False))
        s_s = np.atleast_2d(np.cov(fs, rowvar=False))
        return _frechet(fr.mean(axis=0), s_r, fs.mean(axis=0), s_s)

    return by_class(fd, Fr, yr, Fs, ys, per_class)


def _median_gamma(Z: np.ndarray) -> float:
    """``1 / (2 sigma^2)`` with ``sigma`` the median pairwise distance of ``Z``."""
    d = euclidean_distances(Z)
    d = d[np.triu_indices_from(d, k=1)]
    med = float(np.median(d)) if d.size else 0.0
    return 1.0 / (2.0 * med**2) if med > 0 else 1.0


def _mmd2(fr: np.ndarray, fs: np.ndarray, gamma: float, unbiased: bool) -> float:
    k_rr = rbf_kernel(fr, gamma=gamma)
    k_ss = rbf_kernel(fs, gamma=gamma)
    k_rs = rbf_kernel(fr, fs, gamma=gamma)
    m, n = len(fr), len(fs)
    if unbiased:
        a = (k_rr.sum() - np.trace(k_rr)) / (m * (m - 1))
        b = (k_ss.sum() - np.trace(k_ss)) / (n * (n - 1))
    else:
        a, b = k_rr.mean(), k_ss.mean()
    return float(a + b - 2.0 * k_rs.mean())


def mmd_rbf(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    gamma: float | None = None,
    unbiased: bool = True,
    per_class: bool = False,
    embedding: Any = "raw",
    max_samples: int | None = 2000,
    random_state: int | np.random.RandomState | None = None,
) -> float | dict[Any, float]:
    """Squared maximum mean discrepancy with a Gaussian (RBF) kernel.

    ``MMD^2 = E k(r, r') + E k(s, s') - 2 E k(r, s)`` with
    ``k(a, b) = exp(-gamma |a - b|^2)`` [1]_: 0 when the two distributions are
    equal, larger as they differ, with no Gaussian assumption.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth
        Real and synthetic beats and their labels (labels may be ``None``
        on both sides unless ``per_class``); see :func:`frechet_distance`.
    gamma : float, default=None
        Kernel width; ``None`` takes the median heuristic,
        ``1 / (2 median(|a - b|)^2)`` over the pooled sets, computed per class
        when ``per_class``.
    unbiased : bool, default=True
        The unbiased estimate (U-statistic) leaves out the kernel's diagonal:
        it can be slightly negative, around 0 for sets from one distribution.
        ``False`` gives the biased (V-statistic) estimate, exactly 0 for
        identical sets and always ``>= 0``.
    per_class : bool, default=False
        One value per class instead of the value of the pooled sets.
    embedding : "raw", None, classifier, torch module, transformer or callable, \
            default="raw"
        Feature space (see :func:`make_embedding`); the beats themselves by
        default.
    max_samples : int or None, default=2000
        Beats drawn at random from each set (per class when ``per_class``);
        the kernel matrices take ``O(max_samples^2)`` memory.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling (and of a default embedding network).

    Returns
    -------
    mmd2 : float or dict
        The squared MMD, or ``{class: mmd2}`` when ``per_class``.

    See Also
    --------
    frechet_distance : The distance between Gaussian fits of the features.

    References
    ----------
    .. [1] Gretton A, Borgwardt KM, Rasch MJ, Schölkopf B, Smola A. A kernel
       two-sample test. JMLR 13:723-773, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.evaluation.metrics import mmd_rbf
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 8))
    >>> mmd_rbf(X, None, X + 1.0, None) > mmd_rbf(X[:150], None, X[150:], None)
    True
    """
    Xr, yr, Xs, ys = check_real_synth(X_real, y_real, X_synth, y_synth)
    rng = rng_from(random_state)
    embed = make_embedding(embedding, Xr, yr, random_state=rng)

    def mmd(xr: np.ndarray, xs: np.ndarray, where: str) -> float:
        check_min_samples(len(xr), 2, f"X_real{where}", "mmd_rbf")
        check_min_samples(len(xs), 2, f"X_synth{where}", "mmd_rbf")
        fr = embed(subsample(xr, max_samples, rng))
        fs = embed(subsample(xs, max_samples, rng))
        g = _median_gamma(np.vstack([fr, fs])) if gamma is None else float(gamma)
        return _mmd2(fr, fs, g, unbiased)

    return by_class(mmd, Xr, yr, Xs, ys, per_class)
