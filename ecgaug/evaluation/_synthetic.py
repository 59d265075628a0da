"""Synthetic sets for the protocols and the report: which labels, drawn how."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import NotFittedError

from .metrics._validation import check_beats, is_fitted

__all__ = ["check_fitted", "draw", "synthetic_labels"]


def synthetic_labels(n_synthetic, y_train: np.ndarray) -> np.ndarray:
    """The labels of the synthetic training set that ``n_synthetic`` asks for.

    ``None``: the labels of ``y_train``; int ``n``: ``n`` labels in the class
    proportions of ``y_train`` (largest remainder); float ``f``: ``f *
    len(y_train)`` labels so; dict: ``{class: count}``.
    """
    classes, counts = np.unique(y_train, return_counts=True)
    if n_synthetic is None:
        return y_train.copy()
    if isinstance(n_synthetic, dict):
        unknown = sorted(set(n_synthetic) - set(classes.tolist()), key=str)
        if unknown:
            raise ValueError(
                f"n_synthetic names class(es) {unknown} absent from y_train "
                f"(classes {classes.tolist()})."
            )
        bad = {
            c: k for c, k in n_synthetic.items() if not isinstance(k, Integral) or k < 0
        }
        if bad:
            raise ValueError(f"n_synthetic counts must be integers >= 0, got {bad}.")
        return np.repeat(
            np.asarray(list(n_synthetic), dtype=y_train.dtype),
            [int(k) for k in n_synthetic.values()],
        )
    if isinstance(n_synthetic, Integral) and not isinstance(n_synthetic, bool):
        total = int(n_synthetic)
    elif isinstance(n_synthetic, Real) and not isinstance(n_synthetic, bool):
        total = int(round(float(n_synthetic) * len(y_train)))
    else:
        raise ValueError(
            "n_synthetic must be None, an int, a float or a dict {class: count}; "
            f"got {n_synthetic!r}."
        )
    if total < 1:
        raise ValueError(f"n_synthetic asks for {total} beats; ask for at least 1.")
    exact = counts / counts.sum() * total
    share = np.floor(exact).astype(int)
    order = np.argsort(-(exact - share), kind="stable")
    share[order[: total - share.sum()]] += 1
    return np.repeat(classes, share)


def draw(
    sampler, labels: np.ndarray, seed: int, like_X: np.ndarray, like_y: np.ndarray
):
    """``sampler.sample`` for ``labels``, checked and cast to the real dtypes."""
    Xs, ys = sampler.sample(len(labels), y=labels, random_state=seed)
    Xs = check_beats(Xs, f"the beats drawn from {type(sampler).__name__}")
    if Xs.shape != (len(labels), like_X.shape[1]):
        raise ValueError(
            f"{type(sampler).__name__}.sample returned beats of shape {Xs.shape}; "
            f"expected {(len(labels), like_X.shape[1])}."
        )
    ys = np.asarray(ys)
    if ys.shape != (len(labels),):
        raise ValueError(
            f"{type(sampler).__name__}.sample returned {ys.shape} labels for "
            f"{len(labels)} beats."
        )
    return Xs.astype(like_X.dtype, copy=False), ys.astype(like_y.dtype, copy=False)


def check_fitted(sampler) -> None:
    """Raise ``NotFittedError`` for a sampler that has not been fitted."""
    if not is_fitted(sampler):
        raise NotFittedError(
            f"This {type(sampler).__name__} is not fitted; fit it on X_train, "
            "y_train first (evaluate_protocols: or pass refit=True)."
        )
