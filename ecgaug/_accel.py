"""The samplers' training loop through Hugging Face accelerate.

:func:`accelerated` makes an ``accelerate.Accelerator`` the one that the
samplers' ``fit`` uses in this thread (a context, like :func:`torch.no_grad`,
so that no sampler needs another constructor parameter and the samplers stay
picklable and clonable). Inside it, :class:`~ecgaug.base.BaseGenerativeSampler`

- trains on ``accelerator.device`` (which ``accelerate launch`` / ``torchrun``
  set per process);
- gives each of the ``accelerator.num_processes`` processes its share of
  every batch (all processes draw the same batches from the same
  ``random_state``, and the same initial weights), and the training noise
  from a generator of its own;
- averages the gradients of the networks over the processes after each
  backward pass (:func:`average_gradients`), before clipping and the
  optimiser step: data parallelism with DDP's arithmetic, without wrapping the
  networks (the GANs use their discriminator twice per step, which DDP's
  wrapper does not allow without more bookkeeping);
- runs the forward passes under ``accelerator.autocast()`` when the
  accelerator asks for bfloat16 mixed precision.

With one process and ``mixed_precision="no"`` nothing changes: the fit is the
fit without an accelerator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import torch

__all__ = ["accelerated", "active_accelerator", "average_gradients"]

_ACTIVE: ContextVar[Any] = ContextVar("ecgaug_accelerator", default=None)


def _check(accelerator) -> None:
    missing = [
        a
        for a in ("device", "num_processes", "process_index", "reduce", "autocast")
        if not hasattr(accelerator, a)
    ]
    if missing:
        raise TypeError(
            f"accelerated() needs an accelerate.Accelerator, got "
            f"{type(accelerator).__name__} (it lacks {missing})."
        )
    precision = str(getattr(accelerator, "mixed_precision", "no"))
    if precision not in ("no", "bf16"):
        raise ValueError(
            f"The samplers train in float32 or bfloat16, but the accelerator asks "
            f"for mixed_precision={precision!r} (float16 would need a gradient "
            "scaler in every training step); use Accelerator(mixed_precision="
            "'bf16') or 'no'."
        )


@contextlib.contextmanager
def accelerated(accelerator) -> Iterator[Any]:
    """Train the samplers' ``fit`` in this block through ``accelerator``.

    Parameters
    ----------
    accelerator : accelerate.Accelerator
        Decides the device, the processes (``accelerate launch --num_processes
        4 script.py``: data parallelism over 4 GPUs) and the precision
        (``mixed_precision="no"`` or ``"bf16"``; ``"fp16"`` raises a
        ``ValueError``).

    Yields
    ------
    accelerator : accelerate.Accelerator
        The same object.

    Notes
    -----
    Every process runs the same script, fits the same sampler on the same
    beats and ends with the same weights; save or sample from one of them
    (``if accelerator.is_main_process: sampler.save(path)``). The losses in
    ``history_`` are those of each process's share of the batches. With one
    process and full precision the fit equals the fit without this context.
    Read more in :ref:`scaling`.

    Examples
    --------
    >>> from accelerate import Accelerator
    >>> from ecgaug.base import accelerated
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.generators import CGANSampler
    >>> X, y = load_sample(split="train", return_X_y=True)
    >>> with accelerated(Accelerator(cpu=True)):
    ...     sampler = CGANSampler(n_epochs=1, random_state=0).fit(X, y)
    >>> sampler.sample(3, y=[0, 1, 2])[0].shape
    (3, 187)
    """
    _check(accelerator)
    token = _ACTIVE.set(accelerator)
    try:
        yield accelerator
    finally:
        _ACTIVE.reset(token)


def active_accelerator():
    """The accelerator of the enclosing :func:`accelerated` block, else ``None``."""
    return _ACTIVE.get()


def shard(indices: torch.Tensor, accelerator) -> torch.Tensor:
    """This process's share of a batch: every ``num_processes``-th index."""
    if accelerator is None or accelerator.num_processes == 1:
        return indices
    return indices[accelerator.process_index :: accelerator.num_processes]


def average_gradients(accelerator, *modules: torch.nn.Module) -> None:
    """Replace the gradients of ``modules`` by their mean over the processes."""
    if accelerator is None or accelerator.num_processes == 1:
        return
    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    flat = accelerator.reduce(flat, reduction="mean")
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def autocast(accelerator):
    """``accelerator.autocast()`` under bfloat16 mixed precision, else ``None``."""
    if accelerator is None or str(accelerator.mixed_precision) == "no":
        return None
    return accelerator.autocast()
