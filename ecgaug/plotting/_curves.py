"""Fine-tuning curves: scores against the fraction of real data (Tables 2-4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._common import get_fig, records

__all__ = ["plot_finetune_curves"]

_STYLES = {"finetuned": ("tab:blue", "-", "o"), "real": ("tab:red", "--", "s")}
_LABELS = {"finetuned": "synthetic-pretrained, fine-tuned", "real": "real only"}


def plot_finetune_curves(
    results: Any,
    *,
    metrics: Sequence[str] = ("accuracy", "precision_macro", "recall_macro"),
    x: str = "fraction",
    hue: str = "model",
    fig=None,
):
    """The paper's Tables 2-4 as lines: each score against the share of real data.

    One panel per metric, one line per model (``"finetuned"``: pretrained on
    synthetic beats, then fine-tuned; ``"real"``: trained on the real fraction
    only). When the table holds several rows per model and fraction (e.g. the
    tables of several seeds concatenated), the line is their mean and the band
    ± one standard deviation.

    Parameters
    ----------
    results : DataFrame or dict of lists
        The tidy table of :func:`ecgaug.classifiers.learning_curve_finetune`
        (columns ``fraction``, ``model`` and the scores), or any table with the
        columns ``x``, ``hue`` and ``metrics``.
    metrics : sequence of str, default=("accuracy", "precision_macro", \
"recall_macro")
        Columns to plot, one panel each (the paper's three; also
        ``"f1_macro"``, ``"recall_<class>"``, ``"fit_time"``).
    x : str, default="fraction"
        Column of the x axis.
    hue : str, default="model"
        Column that tells the lines apart.
    fig : matplotlib Figure, default=None
        Figure to draw in (cleared first); a new one when None.

    Returns
    -------
    fig : matplotlib Figure
        One axes per metric.

    See Also
    --------
    ecgaug.classifiers.learning_curve_finetune : The table.

    References
    ----------
    .. [1] Núñez JF, Arjona J, Tormos A, García D, Béjar J. Applying generative
       models and transfer learning to physiological data classification
       (Tables 2-4 and Figure 6).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ecgaug.plotting import plot_finetune_curves
    >>> table = {"fraction": [0.2, 0.2, 1.0, 1.0],
    ...          "model": ["real", "finetuned", "real", "finetuned"],
    ...          "accuracy": [0.966, 0.976, 0.975, 0.980]}
    >>> fig = plot_finetune_curves(table, metrics=["accuracy"])
    """
    metrics = list(metrics)
    if not metrics:
        raise ValueError("metrics is empty.")
    cols = records(results, [x, hue, *metrics])
    xs_all = cols[x].astype(float)
    fig = get_fig(fig, figsize=(4.2 * len(metrics), 3.6))
    axes = fig.subplots(1, len(metrics), squeeze=False, sharex=True)[0]
    models = list(dict.fromkeys(cols[hue].tolist()))
    for ax, metric in zip(axes, metrics):
        values = cols[metric].astype(float)
        for k, model in enumerate(models):
            color, ls, marker = _STYLES.get(model, (f"C{k + 2}", "-", "^"))
            sel = cols[hue] == model
            xs = np.unique(xs_all[sel])
            groups = [values[sel & (xs_all == v)] for v in xs]
            mean = np.array([g.mean() for g in groups])
            ax.plot(
                xs,
                mean,
                color=color,
                ls=ls,
                marker=marker,
                label=_LABELS.get(model, str(model)),
            )
            if any(len(g) > 1 for g in groups):
                sd = np.array([g.std(ddof=1) if len(g) > 1 else 0.0 for g in groups])
                ax.fill_between(xs, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
        ax.set_title(metric.replace("_", " "))
        ax.set_xlabel("fraction of real training data" if x == "fraction" else x)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small", frameon=False)
    return fig
