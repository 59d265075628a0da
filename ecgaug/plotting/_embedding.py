"""Real and synthetic beats in two dimensions: t-SNE, LLE, UMAP or PCA (Figures 2-5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, LocallyLinearEmbedding
from sklearn.utils import check_random_state

from ecgaug.evaluation.metrics._validation import check_real_synth

from ._common import class_color, class_name, get_ax, get_fig

__all__ = ["EMBEDDING_METHODS", "embed_2d", "plot_embedding", "plot_embeddings"]

EMBEDDING_METHODS = ("tsne", "lle", "umap", "pca")
_TITLES = {"tsne": "t-SNE", "lle": "LLE", "umap": "UMAP", "pca": "PCA"}


def _stratified(y: np.ndarray, max_per_class: int | None, rng) -> np.ndarray:
    idx = []
    for c in np.unique(y):
        pool = np.flatnonzero(y == c)
        if max_per_class is not None and len(pool) > max_per_class:
            pool = np.sort(rng.choice(pool, size=max_per_class, replace=False))
        idx.append(pool)
    return np.concatenate(idx)


def embed_2d(
    Z: np.ndarray, method: str, random_state: int, params: dict[str, Any] | None
) -> np.ndarray:
    """Two-dimensional coordinates of the rows of ``Z`` by ``method``."""
    params = dict(params or {})
    n = len(Z)
    if method == "tsne":
        params.setdefault("perplexity", min(30.0, max(2.0, (n - 1) / 3.0)))
        params.setdefault("init", "pca")
        model = TSNE(n_components=2, random_state=random_state, **params)
    elif method == "lle":
        params.setdefault("n_neighbors", min(10, n - 1))
        model = LocallyLinearEmbedding(
            n_components=2, random_state=random_state, **params
        )
    elif method == "umap":
        try:
            import umap
        except ImportError as exc:
            raise ImportError(
                "method='umap' needs the optional package umap-learn: "
                "pip install 'ecgaug[umap]' (or umap-learn); 'tsne' and 'lle' need "
                "nothing more."
            ) from exc
        model = umap.UMAP(n_components=2, random_state=random_state, **params)
    elif method == "pca":
        model = PCA(n_components=2, random_state=random_state, **params)
    else:
        raise ValueError(
            f"Unknown method {method!r}; choose from {list(EMBEDDING_METHODS)}."
        )
    return np.asarray(model.fit_transform(Z))


def plot_embedding(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    method: str = "tsne",
    max_per_class: int | None = 300,
    target_names: Sequence[str] | None = None,
    method_params: dict[str, Any] | None = None,
    random_state: int | np.random.RandomState | None = None,
    ax=None,
):
    """Real and synthetic beats of each class in a 2-D embedding fitted on both.

    The paper's Figures 2-5: the embedding is fitted on the real and synthetic
    beats together; synthetic beats that overlap the real ones of their class
    were generated well, gaps show modes the generator missed, and tight
    clusters apart from the real beats show beats simpler than real ones. Each
    class has a colour; real beats are dots, synthetic ones crosses.

    Parameters
    ----------
    X_real, y_real : array-like of shape (n_real, n_features), (n_real,)
        Real beats and their labels.
    X_synth, y_synth : array-like of shape (n_synth, n_features), (n_synth,)
        Synthetic beats and their labels (the same classes).
    method : {"tsne", "lle", "umap", "pca"}, default="tsne"
        :class:`~sklearn.manifold.TSNE`,
        :class:`~sklearn.manifold.LocallyLinearEmbedding` (which the paper
        found better at showing outliers), UMAP (needs the optional package
        ``umap-learn``: ``pip install 'ecgaug[umap]'``; an ``ImportError``
        says so otherwise) or :class:`~sklearn.decomposition.PCA`.
    max_per_class : int or None, default=300
        Beats drawn per class and side; t-SNE and LLE grow quadratically.
    target_names : sequence of str, default=None
        Class names for integer labels ``0 .. n_classes - 1``.
    method_params : dict, default=None
        Extra arguments of the embedding (``perplexity``, ``n_neighbors``...).
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling and the embedding.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The plot; ``ax.collections`` holds one scatter per class and side.

    See Also
    --------
    plot_embeddings : Several methods side by side.
    ecgaug.evaluation.metrics.precision_recall_density_coverage : The overlap
        as numbers.

    References
    ----------
    .. [1] van der Maaten L, Hinton G. Visualizing data using t-SNE. JMLR 9,
       2008.
    .. [2] Roweis ST, Saul LK. Nonlinear dimensionality reduction by locally
       linear embedding. Science 290, 2000.
    .. [3] McInnes L, Healy J, Melville J. UMAP: uniform manifold approximation
       and projection for dimension reduction. arXiv:1802.03426, 2018.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.plotting import plot_embedding
    >>> beats = load_sample()
    >>> ax = plot_embedding(beats.data[::2], beats.target[::2],
    ...                     beats.data[1::2], beats.target[1::2],
    ...                     method="pca", target_names=beats.target_names)
    """
    if method not in EMBEDDING_METHODS:
        raise ValueError(
            f"Unknown method {method!r}; choose from {list(EMBEDDING_METHODS)}."
        )
    Xr, yr, Xs, ys = check_real_synth(
        X_real, y_real, X_synth, y_synth, require_labels=True
    )
    rng = check_random_state(random_state)
    ir, is_ = _stratified(yr, max_per_class, rng), _stratified(ys, max_per_class, rng)
    Z = np.vstack([Xr[ir], Xs[is_]]).astype(np.float64)
    coords = embed_2d(Z, method, int(rng.randint(0, 2**31 - 1)), method_params)
    cr, cs = coords[: len(ir)], coords[len(ir) :]
    ax = get_ax(ax)
    for i, c in enumerate(np.unique(yr)):
        name = class_name(c, target_names)
        color = class_color(i)
        ax.scatter(
            *cr[yr[ir] == c].T,
            s=9,
            alpha=0.45,
            color=color,
            marker="o",
            linewidths=0,
            label=f"{name} real",
        )
        ax.scatter(
            *cs[ys[is_] == c].T,
            s=14,
            alpha=0.7,
            color=color,
            marker="x",
            linewidths=0.8,
            label=f"{name} synthetic",
        )
    ax.set_title(f"{_TITLES[method]} of real (dots) and synthetic (crosses) beats")
    ax.set_xlabel(f"{_TITLES[method]} 1")
    ax.set_ylabel(f"{_TITLES[method]} 2")
    ax.legend(fontsize="small", ncols=2, markerscale=1.5, frameon=False)
    return ax


def plot_embeddings(
    X_real: ArrayLike,
    y_real: ArrayLike | None,
    X_synth: ArrayLike,
    y_synth: ArrayLike | None,
    *,
    methods: Sequence[str] = ("tsne", "lle"),
    max_per_class: int | None = 300,
    target_names: Sequence[str] | None = None,
    random_state: int | np.random.RandomState | None = None,
    fig=None,
):
    """:func:`plot_embedding` for several methods side by side, one panel each.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth
        As in :func:`plot_embedding`.
    methods : sequence of str, default=("tsne", "lle")
        Methods, one panel each (the paper's two).
    max_per_class, target_names, random_state
        As in :func:`plot_embedding` (every panel draws the same beats).
    fig : matplotlib Figure, default=None
        Figure to draw in (cleared first); a new one when None.

    Returns
    -------
    fig : matplotlib Figure
        One axes per method.

    See Also
    --------
    plot_embedding : One method.

    References
    ----------
    .. [1] Núñez JF, Arjona J, Tormos A, García D, Béjar J. Applying generative
       models and transfer learning to physiological data classification
       (Figures 2-5: t-SNE and LLE of real and synthetic MIT-BIH beats).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.plotting import plot_embeddings
    >>> beats = load_sample()
    >>> fig = plot_embeddings(beats.data[::2], beats.target[::2],
    ...                       beats.data[1::2], beats.target[1::2],
    ...                       methods=["pca"])
    >>> len(fig.axes)
    1
    """
    methods = list(methods)
    if not methods:
        raise ValueError("methods is empty.")
    fig = get_fig(fig, figsize=(6.0 * len(methods), 5.0))
    axes = fig.subplots(1, len(methods), squeeze=False)[0]
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    for ax, method in zip(axes, methods):
        plot_embedding(
            X_real,
            y_real,
            X_synth,
            y_synth,
            method=method,
            max_per_class=max_per_class,
            target_names=target_names,
            random_state=seed,
            ax=ax,
        )
    return fig
