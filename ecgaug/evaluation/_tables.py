"""Result tables: tidy dicts of lists, DataFrames, confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "REPORT_COLUMNS",
    "ReportTable",
    "summarise_repeats",
    "t_interval",
    "to_frame",
]

#: Columns of :func:`~ecgaug.evaluation.synthetic_quality_report`.
REPORT_COLUMNS = (
    "group",
    "metric",
    "label",
    "value",
    "reference",
    "goal",
    "ci_low",
    "ci_high",
)


def t_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float]:
    """Student-t confidence interval of the mean; NaN for fewer than 2 values."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf((1.0 + confidence) / 2.0, len(v) - 1) * v.std(ddof=1)
    half /= np.sqrt(len(v))
    return float(v.mean() - half), float(v.mean() + half)


def to_frame(table: dict[str, list], as_frame: bool | str):
    """A pandas DataFrame of ``table`` (``as_frame`` True or "auto"), else the dict.

    A column that mixes ``None`` with values (``label``) stays of dtype object,
    so that integer class labels are not turned into floats.
    """
    if as_frame not in (True, False, "auto"):
        raise ValueError(f"as_frame must be True, False or 'auto', got {as_frame!r}.")
    if as_frame is False:
        return table
    try:
        import pandas as pd
    except ImportError:
        if as_frame == "auto":
            return table
        raise ImportError("as_frame=True needs pandas; pass as_frame=False.") from None
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object) if any(x is None for x in v) else v
            for k, v in table.items()
        }
    )


def summarise_repeats(
    values: dict, n_repeats: int, confidence: float
) -> dict[str, list]:
    """One row per ``(protocol, metric, label)``: mean, sd, t-interval, repeats."""
    cols = ["protocol", "metric", "label", "mean", "std", "ci_low", "ci_high"]
    table: dict[str, list] = {c: [] for c in [*cols, "n_repeats"]}
    for r in range(n_repeats):
        table[f"repeat_{r}"] = []
    for (protocol, metric, label), v in values.items():
        arr = np.asarray(v, dtype=float)
        lo, hi = t_interval(arr, confidence)
        row = {
            "protocol": protocol,
            "metric": metric,
            "label": label,
            "mean": float(arr.mean()),
            "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
            "ci_low": lo,
            "ci_high": hi,
            "n_repeats": len(arr),
        }
        row.update({f"repeat_{r}": float(x) for r, x in enumerate(arr)})
        for k, x in row.items():
            table[k].append(x)
    return table


class ReportTable:
    """Rows of :func:`synthetic_quality_report`, built section by section."""

    def __init__(self, target_names: dict[Any, str]):
        self.rows: list[dict[str, Any]] = []
        self.names = target_names

    def label(self, c) -> str:
        return "all" if c is None else str(self.names.get(c, c))

    def add(self, group, metric, value, reference, goal, *, ci=(np.nan, np.nan)):
        """One row per class and one for the pooled sets (``label="all"``)."""
        pooled, per = value
        ref_pooled, ref_per = reference if reference is not None else (np.nan, {})
        self._row(group, metric, None, pooled, ref_pooled, goal, ci)
        for c, v in (per or {}).items():
            self._row(group, metric, c, v, (ref_per or {}).get(c, np.nan), goal, ci)

    def _row(self, group, metric, c, value, reference, goal, ci):
        self.rows.append(
            {
                "group": group,
                "metric": metric,
                "label": self.label(c),
                "value": float(value),
                "reference": float(reference),
                "goal": goal,
                "ci_low": float(ci[0]),
                "ci_high": float(ci[1]),
            }
        )

    def add_protocols(self, res: dict[str, list], per_class: bool) -> None:
        """Rows of an :func:`evaluate_protocols` result; reference: TRTR."""
        trtr = {
            (m, lab): v
            for p, m, lab, v in zip(
                res["protocol"], res["metric"], res["label"], res["mean"]
            )
            if p == "TRTR"
        }
        rows = zip(res["protocol"], res["metric"], res["label"])
        for i, (p, m, lab) in enumerate(rows):
            if m == "fit_time" or (lab is not None and not per_class):
                continue
            self._row(
                "utility",
                f"{p}_{m}",
                lab,
                res["mean"][i],
                trtr.get((m, lab), np.nan),
                "TRTR",
                (res["ci_low"][i], res["ci_high"][i]),
            )

    def as_dict(self) -> dict[str, list]:
        return {c: [r[c] for r in self.rows] for c in REPORT_COLUMNS}
