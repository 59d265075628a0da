"""Beats of each class, real against synthetic, with mean ± sd bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

from ecgaug.evaluation.metrics._validation import (
    check_beats,
    check_labels,
    check_real_synth,
)

from ._common import class_name, get_fig

__all__ = ["plot_beats"]

_REAL, _SYNTH = "tab:blue", "tab:orange"


def _panel(ax, t, X, color, n_examples, rng, label):
    for i in rng.choice(len(X), size=min(n_examples, len(X)), replace=False):
        ax.plot(t, X[i], color=color, lw=0.6, alpha=0.35)
    mean, sd = X.mean(axis=0), X.std(axis=0)
    ax.fill_between(t, mean - sd, mean + sd, color=color, alpha=0.25, lw=0)
    ax.plot(t, mean, color=color, lw=1.6, label=f"{label} mean ± sd")
    # how many beats of this class the panel summarises, real or synthetic
    ax.text(
        0.03, 0.95, f"{label} n={len(X):,}", transform=ax.transAxes, va="top",
        fontsize="x-small", color=color,
    )  # fmt: skip


def plot_beats(
    X_real: ArrayLike,
    y_real: ArrayLike,
    X_synth: ArrayLike | None = None,
    y_synth: ArrayLike | None = None,
    *,
    classes: Sequence | None = None,
    n_examples: int = 5,
    target_names: Sequence[str] | None = None,
    sampling_rate: float | None = None,
    random_state: int | np.random.RandomState | None = None,
    fig=None,
):
    """A grid of beats per class: real on top, synthetic below, mean ± sd bands.

    Each column is a class. A panel shows ``n_examples`` beats drawn at random
    (thin lines), their class mean (thick) and a band of ± one standard
    deviation around it. The synthetic row repeats the real mean as a dashed
    line, so that shifted or flattened synthetic beats stand out.

    Parameters
    ----------
    X_real, y_real : array-like of shape (n_real, n_features), (n_real,)
        Real beats (one lead; for several leads, pass one lead's columns).
    X_synth, y_synth : array-like, default=None
        Synthetic beats and labels; ``None`` draws the real row only.
    classes : sequence, default=None
        Classes to show, in order; all classes of ``y_real`` by default.
    n_examples : int, default=5
        Individual beats drawn per panel.
    target_names : sequence of str, default=None
        Class names for integer labels ``0 .. n_classes - 1``.
    sampling_rate : float, default=None
        Samples per second (``load_sample().fs``): the x axis in seconds
        instead of samples.
    random_state : int, RandomState instance or None, default=None
        Seed of the examples drawn.
    fig : matplotlib Figure, default=None
        Figure to draw in (cleared first); a new one when None.

    Returns
    -------
    fig : matplotlib Figure
        Axes in a grid of 1 or 2 rows and one column per class.

    See Also
    --------
    plot_embedding : Real and synthetic beats in two dimensions.

    References
    ----------
    .. [1] Núñez JF, Arjona J, Tormos A, García D, Béjar J. Applying generative
       models and transfer learning to physiological data classification
       (synthetic beats compared with real ones of their class).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.plotting import plot_beats
    >>> beats = load_sample()
    >>> fig = plot_beats(beats.data, beats.target, target_names=beats.target_names,
    ...                  sampling_rate=beats.fs)
    >>> len(fig.axes)
    5
    """
    if X_synth is None and y_synth is None:
        Xr = check_beats(X_real, "X_real")
        yr = check_labels(y_real, len(Xr), "y_real", "X_real")
        Xs = ys = None
    else:
        Xr, yr, Xs, ys = check_real_synth(
            X_real, y_real, X_synth, y_synth, require_labels=True
        )
    if classes is None:
        classes = np.unique(yr)
    else:
        absent = [c for c in classes if not np.any(yr == c)]
        if absent:
            raise ValueError(f"class(es) {absent} have no real beats in y_real.")
    if not isinstance(n_examples, int | np.integer) or n_examples < 0:
        raise ValueError(f"n_examples must be an integer >= 0, got {n_examples!r}.")
    rng = check_random_state(random_state)
    t = np.arange(Xr.shape[1], dtype=float)
    if sampling_rate:
        t = t / float(sampling_rate)
    n_rows = 1 if Xs is None else 2
    fig = get_fig(fig, figsize=(2.6 * len(classes) + 1.0, 2.4 * n_rows + 0.6))
    axes = fig.subplots(n_rows, len(classes), squeeze=False, sharex=True, sharey=True)
    for j, c in enumerate(classes):
        real = Xr[yr == c]
        _panel(axes[0, j], t, real, _REAL, n_examples, rng, "real")
        axes[0, j].set_title(class_name(c, target_names))
        if Xs is not None:
            synth = Xs[ys == c]
            _panel(axes[1, j], t, synth, _SYNTH, n_examples, rng, "synthetic")
            axes[1, j].plot(
                t, real.mean(axis=0), color=_REAL, lw=1.0, ls="--", label="real mean"
            )
    axes[0, 0].set_ylabel("real\namplitude")
    if Xs is not None:
        axes[1, 0].set_ylabel("synthetic\namplitude")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)" if sampling_rate else "sample")
    for row in axes:
        row[-1].legend(fontsize="x-small", frameon=False, loc="upper right")
    return fig
