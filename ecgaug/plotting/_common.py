"""Helpers shared by the plot functions: axes, colours, tables, class names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["class_color", "class_name", "get_ax", "get_fig", "records"]


def get_ax(ax=None, figsize: tuple[float, float] = (6.0, 4.5)):
    """``ax``, or the axes of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def get_fig(fig=None, figsize: tuple[float, float] = (10.0, 4.0)):
    """``fig`` cleared of its axes, or a new figure."""
    import matplotlib.pyplot as plt

    if fig is None:
        return plt.figure(figsize=figsize, layout="constrained")
    fig.clear()
    return fig


def class_color(i: int):
    """The ``i``-th colour of matplotlib's ``tab10`` cycle."""
    import matplotlib as mpl

    return mpl.colormaps["tab10"](i % 10)


def class_name(c: Any, target_names: Sequence[str] | None) -> str:
    """``target_names[c]`` for an integer label inside it, else ``str(c)``."""
    if target_names is not None and isinstance(c, int | np.integer):
        if 0 <= int(c) < len(target_names):
            return str(target_names[int(c)])
    return str(c)


def records(table, required: Sequence[str]) -> dict[str, np.ndarray]:
    """The columns of a DataFrame or a dict of lists, as arrays; checks ``required``."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        cols = {k: table[k].to_numpy() for k in table.columns}
    elif isinstance(table, dict):
        cols = {
            k: np.asarray(v, dtype=object if _has_none(v) else None)
            for k, v in table.items()
        }
    else:
        raise TypeError(
            "Expected a pandas DataFrame or a dict of lists, got "
            f"{type(table).__name__}."
        )
    missing = [c for c in required if c not in cols]
    if missing:
        raise ValueError(f"The table lacks column(s) {missing}; it has {sorted(cols)}.")
    return cols


def _has_none(values) -> bool:
    return any(v is None for v in values)
