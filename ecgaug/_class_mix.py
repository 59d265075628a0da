"""The class mix of training batches and the per-class training loss.

:class:`~ecgaug.base.BaseGenerativeSampler` draws each epoch's batches here.
A class ``c`` with ``n_c`` training beats is drawn with probability
proportional to ``n_c ** p``: ``p = 1`` is the data's proportions (an
ordinary shuffled epoch, beats drawn without replacement), ``p = 0`` balanced
batches, values in between interpolate. For ``p < 1`` the class of each slot
of a batch is drawn first, then a beat of that class, with replacement, so
that a small class can fill its share of every batch. An epoch is always
``n_samples // batch_size`` steps, whatever the mix: balancing the classes
never shortens training.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["ClassLossMeter", "class_power", "class_weights", "epoch_batches"]

_NAMED_POWERS = {"proportional": 1.0, "balanced": 0.0}


def class_power(value) -> float:
    """``"proportional"`` -> 1, ``"balanced"`` -> 0, a number -> itself."""
    if isinstance(value, str):
        return _NAMED_POWERS[value]
    return float(value)


def class_weights(counts: np.ndarray, power: float) -> np.ndarray:
    """Probability of drawing each class: ``counts ** power``, normalised."""
    w = np.asarray(counts, dtype=np.float64) ** power
    return w / w.sum()


def epoch_batches(
    y_codes: np.ndarray,
    n_classes: int,
    power: float,
    batch_size: int,
    n_steps: int,
    rng: np.random.RandomState,
) -> np.ndarray:
    """The beat indices of one epoch, shape ``(n_steps, batch_size)``.

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,)
        Encoded labels ``0 ... n_classes - 1``.
    n_classes : int
        Number of classes (each present in ``y_codes``).
    power : float
        ``p`` in ``[0, 1]``: class ``c`` is drawn with probability
        ``n_c ** p / sum_k n_k ** p``.
    batch_size, n_steps : int
        Beats per step and steps per epoch; ``n_steps * batch_size`` must not
        exceed ``n_samples`` when ``power == 1``.
    rng : numpy.random.RandomState
        The source of every draw.
    """
    n = len(y_codes)
    if power == 1.0:
        # the data's own proportions: a shuffled pass, without replacement
        perm = rng.permutation(n)
        return perm[: n_steps * batch_size].reshape(n_steps, batch_size)
    counts = np.bincount(y_codes, minlength=n_classes)
    order = np.argsort(y_codes, kind="stable")  # beat indices grouped by class
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    size = n_steps * batch_size
    cls = rng.choice(n_classes, size=size, p=class_weights(counts, power))
    offset = (rng.random_sample(size) * counts[cls]).astype(np.int64)
    offset = np.minimum(offset, counts[cls] - 1)
    return order[starts[cls] + offset].reshape(n_steps, batch_size)


class ClassLossMeter:
    """Sums of per-beat training losses by class over one epoch.

    A sampler's ``_train_step`` may return, under the key ``"per_sample"``,
    a pair ``(codes, values)`` of ``(B,)`` tensors: the encoded class each
    value belongs to and its loss. :meth:`means` gives the epoch's mean loss
    per class (NaN for a class that got no beat).
    """

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes
        self.sums = np.zeros(n_classes)
        self.counts = np.zeros(n_classes)

    def add(self, codes: torch.Tensor, values: torch.Tensor) -> None:
        """Add one step's per-beat losses."""
        codes = codes.detach().long().reshape(-1)
        values = values.detach().float().reshape(-1)
        k = self.n_classes
        self.sums += torch.bincount(codes, weights=values, minlength=k).cpu().numpy()
        self.counts += torch.bincount(codes, minlength=k).cpu().numpy()

    def means(self, classes: np.ndarray) -> dict:
        """``{class label: mean loss}``, labels as plain Python values."""
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.sums / self.counts
        return {
            (c.item() if isinstance(c, np.generic) else c): float(m)
            for c, m in zip(classes, mean)
        }
