"""Confusion matrix of a heartbeat classifier."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import ConfusionMatrixDisplay

from ._common import class_name, get_ax

__all__ = ["plot_confusion_matrix"]


def plot_confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: Sequence | None = None,
    target_names: Sequence[str] | None = None,
    normalize: str | None = "true",
    cmap: str = "Blues",
    colorbar: bool = True,
    values_format: str | None = None,
    ax=None,
):
    """Confusion matrix, by default as recall per true class (rows sum to 1).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : sequence, default=None
        Classes, in order; those present in either array by default.
    target_names : sequence of str, default=None
        Class names for integer labels ``0 .. n_classes - 1``.
    normalize : {"true", "pred", "all"} or None, default="true"
        As in :func:`sklearn.metrics.confusion_matrix`: ``"true"`` shows the
        recall of each class on the diagonal; ``None`` shows counts.
    cmap : str, default="Blues"
        Colour map.
    colorbar : bool, default=True
        Draw a colour bar.
    values_format : str, default=None
        Format of the numbers (``".2f"`` for normalised matrices, ``"d"`` for
        counts when None).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The plot (``ax.images[0].get_array()`` holds the matrix).

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : The display this draws with.

    References
    ----------
    .. [1] ANSI/AAMI EC57:2012. Testing and reporting performance results of
       cardiac rhythm and ST segment measurement algorithms (the N, S, V, F, Q
       classes whose confusions matter).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ecgaug.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2],
    ...                            target_names=["N", "S", "V"])
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(
            f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}."
        )
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different shapes: {y_true.shape} vs "
            f"{y_pred.shape}."
        )
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    names = [class_name(c, target_names) for c in labels]
    ax = get_ax(ax, figsize=(5.0, 4.5))
    fmt = values_format or (".2f" if normalize else "d")
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=list(labels),
        display_labels=names,
        normalize=normalize,
        cmap=cmap,
        colorbar=colorbar,
        values_format=fmt,
        ax=ax,
    )
    ax.set_title("recall per class" if normalize == "true" else "confusion matrix")
    return ax
