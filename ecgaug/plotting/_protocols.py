"""Bar chart of the train/test protocols (the paper's Table 1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._common import get_ax, records

__all__ = ["plot_protocols"]


def plot_protocols(
    results: Any,
    *,
    metrics: Sequence[str] = ("accuracy", "precision_macro", "recall_macro"),
    ax=None,
):
    """Grouped bars of :func:`~ecgaug.evaluation.evaluate_protocols`: one group per
    protocol, one bar per metric, with the confidence interval over repeats.

    Parameters
    ----------
    results : DataFrame or dict of lists
        The result of :func:`~ecgaug.evaluation.evaluate_protocols` (columns
        ``protocol``, ``metric``, ``label``, ``mean``; ``ci_low`` and
        ``ci_high`` draw error bars where they are finite).
    metrics : sequence of str, default=("accuracy", "precision_macro", \
"recall_macro")
        Aggregate metrics to show (the paper's three; also ``"f1_macro"``).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The chart; the bar heights are the means.

    See Also
    --------
    ecgaug.evaluation.evaluate_protocols : The numbers.

    References
    ----------
    .. [1] Núñez JF, Arjona J, Tormos A, García D, Béjar J. Applying generative
       models and transfer learning to physiological data classification
       (Table 1).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ecgaug.plotting import plot_protocols
    >>> res = {"protocol": ["TRTR", "TSTR"], "metric": ["accuracy", "accuracy"],
    ...        "label": [None, None], "mean": [0.98, 0.55]}
    >>> ax = plot_protocols(res, metrics=["accuracy"])
    """
    metrics = list(metrics)
    if not metrics:
        raise ValueError("metrics is empty.")
    cols = records(results, ["protocol", "metric", "label", "mean"])
    aggregate = np.array([lab is None or lab != lab for lab in cols["label"]])
    present = set(cols["metric"][aggregate].tolist())
    absent = [m for m in metrics if m not in present]
    if absent:
        raise ValueError(
            f"metric(s) {absent} are not in the results; they hold {sorted(present)}."
        )
    protocols = list(dict.fromkeys(cols["protocol"][aggregate].tolist()))
    ax = get_ax(ax, figsize=(1.6 * len(protocols) + 2.0, 4.0))
    width = 0.8 / len(metrics)
    x = np.arange(len(protocols))
    for k, metric in enumerate(metrics):
        heights, err = [], []
        for p in protocols:
            sel = aggregate & (cols["metric"] == metric) & (cols["protocol"] == p)
            i = np.flatnonzero(sel)
            mean = float(cols["mean"][i[0]]) if len(i) else np.nan
            heights.append(mean)
            lo = float(cols["ci_low"][i[0]]) if len(i) and "ci_low" in cols else np.nan
            hi = (
                float(cols["ci_high"][i[0]]) if len(i) and "ci_high" in cols else np.nan
            )
            # no interval (one repeat): no error bar, not a bar of zero width
            ok = np.isfinite([lo, hi]).all()
            err.append((mean - lo, hi - mean) if ok else (np.nan, np.nan))
        err = np.array(err).T  # (2, n_protocols)
        bars = ax.bar(
            x + (k - (len(metrics) - 1) / 2) * width,
            heights,
            width,
            yerr=err if np.isfinite(err).any() else None,
            capsize=3,
            label=metric.replace("_", " "),
            color=f"C{k}",
        )
        ax.bar_label(bars, fmt="%.2f", fontsize="x-small", padding=2)
    ax.set_xticks(x, protocols)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score on the test set")
    ax.legend(
        fontsize="small",
        frameon=False,
        ncols=len(metrics),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )
    return ax
