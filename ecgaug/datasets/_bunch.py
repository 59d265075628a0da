"""What every loader returns: a scikit-learn ``Bunch`` of beats, or ``(X, y)``."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from ._segmentation import N_SAMPLES

__all__ = ["feature_names", "load_descr", "make_bunch"]


def load_descr(name: str) -> str:
    """The text of ``ecgaug/datasets/descr/<name>``."""
    return (resources.files("ecgaug.datasets") / "descr" / name).read_text(
        encoding="utf-8"
    )


def feature_names(leads: Sequence[str] | None, n_samples: int = N_SAMPLES) -> list[str]:
    """``t000 ... t186`` for one unnamed lead, else ``MLII_t000 ...`` lead-major."""
    if leads is None:
        return [f"t{k:03d}" for k in range(n_samples)]
    return [f"{lead}_t{k:03d}" for lead in leads for k in range(n_samples)]


def make_bunch(
    *,
    data: np.ndarray,
    target: np.ndarray,
    target_names: Sequence[str],
    return_X_y: bool,
    **fields,
):
    """``(data, target)``, or a ``Bunch`` of those, ``target_names`` and ``fields``."""
    data = np.ascontiguousarray(data, dtype=np.float32)
    target = np.asarray(target, dtype=np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, target_names=np.asarray(target_names), **fields
    )
