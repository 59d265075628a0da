"""Input checks shared by the metrics: two sets of beats, their labels, class splits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ecgaug._utils import check_finite

__all__ = [
    "by_class",
    "check_beats",
    "check_labels",
    "check_min_samples",
    "check_real_synth",
    "check_same_classes",
    "is_fitted",
    "plain",
    "rng_from",
    "subsample",
]

T = TypeVar("T")


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds (dict keys, JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def is_fitted(obj) -> bool:
    """scikit-learn's ``check_is_fitted`` for estimators; for other objects, whether
    they hold an attribute ending in ``_`` (its heuristic), or True for functions.
    """
    if isinstance(obj, BaseEstimator) or hasattr(obj, "__sklearn_is_fitted__"):
        try:
            check_is_fitted(obj)
        except NotFittedError:
            return False
        return True
    attrs = getattr(obj, "__dict__", None)
    if attrs is None:
        return True
    return any(k.endswith("_") and not k.startswith("_") for k in attrs)


def check_beats(X, name: str) -> np.ndarray:
    """A 2-D float array of beats without NaN or infinity."""
    X = check_array(
        X,
        dtype=(np.float64, np.float32),
        ensure_all_finite=False,
        input_name=name,
    )
    check_finite(X, name)
    return X


def check_labels(y, n_samples: int, name: str, x_name: str) -> np.ndarray:
    """A 1-D label array with one label per beat and no missing label."""
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            f"{name} has {len(y)} labels but {x_name} has {n_samples} beats; "
            "pass one label per beat."
        )
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"{name} contains NaN labels; drop those beats first.")
    return y


def check_same_classes(
    y_a: np.ndarray, y_b: np.ndarray, name_a: str, name_b: str
) -> None:
    """Raise a ``ValueError`` naming the classes present on one side only."""
    a, b = set(np.unique(y_a).tolist()), set(np.unique(y_b).tolist())
    only_a, only_b = sorted(a - b, key=str), sorted(b - a, key=str)
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"class(es) {only_a} appear in {name_a} but not in {name_b}")
        if only_b:
            parts.append(f"class(es) {only_b} appear in {name_b} but not in {name_a}")
        raise ValueError(
            "; ".join(parts) + ". Both sets must hold the same classes: draw "
            "synthetic beats of every real class (sampler.sample(n, y=labels)) or "
            "drop the class from both sets."
        )


def check_real_synth(
    X_real,
    y_real,
    X_synth,
    y_synth,
    *,
    require_labels: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Validate a real and a synthetic set of beats for a metric.

    Both sets must have the same number of features, no NaN or infinity, one
    label per beat and the same classes. Labels may be ``None`` on both sides
    (a metric of the pooled sets) unless ``require_labels``.
    """
    Xr = check_beats(X_real, "X_real")
    Xs = check_beats(X_synth, "X_synth")
    if Xr.shape[1] != Xs.shape[1]:
        raise ValueError(
            f"X_synth has {Xs.shape[1]} features per beat but X_real has "
            f"{Xr.shape[1]}; both sets must hold beats of the same length and "
            "leads."
        )
    if (y_real is None) != (y_synth is None):
        raise ValueError(
            "Pass both y_real and y_synth, or neither (a metric of the pooled "
            "sets); got only one of them."
        )
    if y_real is None:
        if require_labels:
            raise ValueError("This metric needs the labels y_real and y_synth.")
        return Xr, None, Xs, None
    yr = check_labels(y_real, len(Xr), "y_real", "X_real")
    ys = check_labels(y_synth, len(Xs), "y_synth", "X_synth")
    check_same_classes(yr, ys, "y_real", "y_synth")
    return Xr, yr, Xs, ys


def subsample(
    X: np.ndarray, max_samples: int | None, rng: np.random.RandomState
) -> np.ndarray:
    """At most ``max_samples`` rows of ``X``, drawn without replacement."""
    if max_samples is None or len(X) <= max_samples:
        return X
    idx = np.sort(rng.choice(len(X), size=int(max_samples), replace=False))
    return X[idx]


def check_min_samples(n: int, need: int, what: str, metric: str) -> None:
    """Raise a ``ValueError`` when a set is too small for a metric."""
    if n < need:
        raise ValueError(
            f"{what} has {n} beat(s); {metric} needs at least {need}. Pass more "
            "beats or set per_class=False."
        )


def by_class(
    fn: Callable[[np.ndarray, np.ndarray, str], T],
    Xr: np.ndarray,
    yr: np.ndarray | None,
    Xs: np.ndarray,
    ys: np.ndarray | None,
    per_class: bool,
) -> T | dict[Any, T]:
    """``fn(real, synth, where)`` on the pooled sets, or one value per class.

    ``where`` names the subset for error messages (``""`` or ``" of class 3"``).
    Per class, the result is a dict keyed by the class labels, sorted.
    """
    if not per_class:
        return fn(Xr, Xs, "")
    if yr is None or ys is None:
        raise ValueError("per_class=True needs the labels y_real and y_synth.")
    return {
        plain(c): fn(Xr[yr == c], Xs[ys == c], f" of class {plain(c)!r}")
        for c in np.unique(yr)
    }


def rng_from(random_state) -> np.random.RandomState:
    """``check_random_state``, re-exported for the metric modules."""
    return check_random_state(random_state)
