"""Small helpers shared across ecgaug: devices, seeds, atomic files, input checks."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = [
    "active_generator",
    "atomic_path",
    "check_finite",
    "init_parameters_",
    "resolve_device",
    "rng_scope",
    "torch_generator",
]


def _own_gpu() -> int:
    """Index of this process's GPU among the visible ones (see resolve_device)."""
    n_gpus = torch.cuda.device_count()
    rank = os.environ.get("LOCAL_RANK", "").strip()
    if rank:
        try:
            return int(rank) % n_gpus
        except ValueError:
            raise ValueError(
                f"LOCAL_RANK={rank!r} is not an integer; unset it or set it to "
                "this process's rank on its machine (0, 1, ...)."
            ) from None
    return torch.cuda.current_device()


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``... into a ``torch.device``.

    ``"auto"`` picks a GPU when one is visible, else the CPU; the GPU is this
    process's own, so that parallel workers spread over the GPUs:

    - ``$LOCAL_RANK`` (set by ``torchrun`` and ``accelerate launch``): GPU
      ``LOCAL_RANK % device_count``;
    - else the current CUDA device (``torch.cuda.set_device``), by default the
      first of ``$CUDA_VISIBLE_DEVICES``, which CUDA numbers 0: dask-cuda's
      ``LocalCUDACluster`` lists each worker's own GPU first there.

    A device that is asked for by name but absent raises a ``ValueError``
    instead of failing later inside torch.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'auto' or 'cpu', got {device!r}"
        )
    if device == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device("cuda", _own_gpu())
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"Unknown device {device!r}: use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was asked for but no CUDA GPU is visible; "
            "use device='auto' or 'cpu'."
        )
    return resolved


def torch_generator(
    random_state, device: torch.device | str = "cpu"
) -> torch.Generator:
    """A ``torch.Generator`` seeded from a scikit-learn style ``random_state``."""
    seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


# The generator that training code draws from, per thread (and per asyncio
# task): a ContextVar starts empty in every new thread, so two fits in two
# threads never share it, unlike torch's global generator.
_ACTIVE_GENERATOR: ContextVar[torch.Generator | None] = ContextVar(
    "ecgaug_active_generator", default=None
)


@contextlib.contextmanager
def rng_scope(generator: torch.Generator | None) -> Iterator[torch.Generator | None]:
    """Make ``generator`` the one :func:`active_generator` returns in this thread.

    ecgaug's estimators wrap their training in this scope, so that layers deep
    inside a network (dropout) draw from the estimator's own generator instead
    of torch's global one, which every thread of the process shares.
    """
    token = _ACTIVE_GENERATOR.set(generator)
    try:
        yield generator
    finally:
        _ACTIVE_GENERATOR.reset(token)


def active_generator() -> torch.Generator | None:
    """The generator of the enclosing :func:`rng_scope`, else ``None``.

    ``None`` makes torch's random functions use its global generator: a
    network used on its own, outside an ecgaug estimator, behaves as usual.
    """
    return _ACTIVE_GENERATOR.get()


def _init_linear_like(module: torch.nn.Module, generator) -> None:
    """torch's default init of ``Linear`` and ``Conv*d``, from ``generator``."""
    torch.nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
    if module.bias is not None:
        fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        torch.nn.init.uniform_(module.bias, -bound, bound, generator=generator)


def _init_embedding(module: torch.nn.Embedding, generator) -> None:
    torch.nn.init.normal_(module.weight, generator=generator)
    if module.padding_idx is not None:
        with torch.no_grad():
            module.weight[module.padding_idx].fill_(0)


_DEFAULT_INITS = (
    (torch.nn.Linear, _init_linear_like),
    (torch.nn.modules.conv._ConvNd, _init_linear_like),
    (torch.nn.Embedding, _init_embedding),
)
# Layers whose constructor draws nothing at random (ones and zeros).
_DETERMINISTIC = (
    torch.nn.modules.batchnorm._NormBase,
    torch.nn.LayerNorm,
    torch.nn.GroupNorm,
)


@torch.no_grad()
def init_parameters_(
    module: torch.nn.Module, generator: torch.Generator | None = None
) -> torch.nn.Module:
    """Re-draw every random parameter and buffer of ``module`` from ``generator``.

    torch's layers initialise themselves from the global generator when they
    are built; this re-draws them, with the same distributions, from
    ``generator`` (``None``: :func:`active_generator`), so that a network's
    initial weights depend only on its estimator's ``random_state``, whatever
    other threads do with the global generator meanwhile.

    Modules are visited children first. ``Linear``, ``Conv*d`` and
    ``Embedding`` get torch's default initialisation; a module with its own
    initialisation (or with parameters or random buffers of its own) defines
    ``init_parameters_(generator)``, called after its children, which may
    override theirs. Any other module holding parameters raises ``TypeError``,
    so that no layer silently keeps global-generator weights.

    Returns
    -------
    module : torch.nn.Module
        The same module, for chaining.
    """
    if generator is None:
        generator = active_generator()
    for m in _children_first(module):
        for kind, init in _DEFAULT_INITS:
            if isinstance(m, kind):
                init(m, generator)
                break
        else:
            own_params = next(m.parameters(recurse=False), None) is not None
            if (
                own_params
                and not hasattr(m, "init_parameters_")
                and not isinstance(m, _DETERMINISTIC)
            ):
                raise TypeError(
                    f"{type(m).__name__} has parameters but no "
                    "init_parameters_(generator) method: ecgaug cannot initialise "
                    "it from the estimator's generator."
                )
        if hasattr(m, "init_parameters_"):
            m.init_parameters_(generator)
    return module


def _children_first(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    for child in module.children():
        yield from _children_first(child)
    yield module


def check_finite(X: np.ndarray, name: str = "X") -> None:
    """Raise a ``ValueError`` naming the first row with NaN or infinity."""
    bad = ~np.isfinite(X)
    if bad.any():
        row = int(np.argwhere(bad.reshape(len(X), -1).any(axis=1))[0, 0])
        kind = "NaN" if np.isnan(X).any() else "infinity"
        raise ValueError(
            f"{name} contains {kind} ({int(bad.sum())} values, first in row {row}); "
            "drop or impute those beats first."
        )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place on success.

    The file appears whole or not at all: a crash or an exception while writing
    leaves any previous file untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600 files
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
