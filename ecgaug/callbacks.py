"""Callbacks for the training loop of the generative samplers.

A callback is any object with the three methods of :class:`Callback`; pass a
list of them as a sampler's ``callbacks`` parameter.
"""

from __future__ import annotations

import os
from numbers import Integral
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

    Both parameters are checked when the checkpoint is made and again when
    training begins, so a bad one fails before the first epoch, not after it.

    Parameters
    ----------
    path : str or path-like
        File to write; ``{epoch}`` (or a format such as ``{epoch:04d}``) in
        the path is replaced by the epoch number, and then any other brace
        must be doubled (``{{``, ``}}``). A path without ``{epoch`` is used
        as it is, braces included.
    every : int, default=1
        Save every this many epochs; at least 1.

    Examples
    --------
    >>> from ecgaug.callbacks import Checkpoint
    >>> cb = Checkpoint("cgan-{epoch}.pt", every=10)
    """

    def __init__(self, path: str | os.PathLike, every: int = 1):
        self.path = path
        self.every = every
        self._check()

    def _check(self) -> None:
        every = self.every
        if not isinstance(every, Integral) or isinstance(every, bool) or every < 1:
            raise ValueError(
                f"Checkpoint(every={every!r}): every must be a positive integer "
                "(save every this many epochs)."
            )
        if not isinstance(self.path, (str, os.PathLike)):
            raise TypeError(
                f"Checkpoint path must be a string or path-like, got {self.path!r}."
            )
        self._target(1)

    def _target(self, epoch: int) -> Path:
        path = os.fspath(self.path)
        if "{epoch" not in path:
            return Path(path)
        try:
            return Path(path.format(epoch=epoch))
        except (IndexError, KeyError, ValueError) as exc:
            raise ValueError(
                f"Checkpoint path {path!r} cannot be formatted with the epoch "
                f"({type(exc).__name__}: {exc}); use {{epoch}} for the epoch "
                "number and double any other brace ({{ and }})."
            ) from exc

    def on_train_begin(self, sampler) -> None:
        """Check ``path`` and ``every`` again (they may have been changed)."""
        self._check()

    def on_epoch_end(self, sampler, logs: dict[str, Any]) -> None:
        if logs["epoch"] % self.every == 0:
            sampler.save(self._target(logs["epoch"]))

    def on_train_end(self, sampler) -> None:
        sampler.save(self._target(sampler.history_[-1]["epoch"]))
