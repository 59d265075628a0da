"""Callbacks for the training loop of the generative samplers.

A callback is any object with the three methods of :class:`Callback`; pass a
list of them as a sampler's ``callbacks`` parameter.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["Callback", "Checkpoint"]


class Callback:
    """Base class: override the hooks you need; each receives the sampler."""

    def on_train_begin(self, sampler) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, sampler, logs: dict[str, Any]) -> None:
        """Called after every epoch with its mean losses, ``epoch`` and ``time``."""

    def on_train_end(self, sampler) -> None:
        """Called once after the last epoch."""


class Checkpoint(Callback):
    """Save the sampler every ``every`` epochs and at the end of training.

    The file is written atomically by :meth:`BaseGenerativeSampler.save`, so a
    crash mid-write leaves the previous checkpoint intact. Resume with
    ``Sampler.load(path)``, ``set_params(warm_start=True)`` and ``fit``.

    Parameters
    ----------
    path : str or path-like
        File to write; ``{epoch}`` in the name is replaced by the epoch number.
    every : int, default=1
        Save every this many epochs.

    Examples
    --------
    >>> from ecgaug.callbacks import Checkpoint
    >>> cb = Checkpoint("cgan-{epoch}.pt", every=10)
    """

    def __init__(self, path: str | os.PathLike, every: int = 1):
        self.path = path
        self.every = every

    def _target(self, epoch: int) -> Path:
        return Path(str(self.path).format(epoch=epoch))

    def on_epoch_end(self, sampler, logs: dict[str, Any]) -> None:
        if logs["epoch"] % self.every == 0:
            sampler.save(self._target(logs["epoch"]))

    def on_train_end(self, sampler) -> None:
        sampler.save(self._target(sampler.history_[-1]["epoch"]))
