"""Small helpers shared across ecgaug: devices, seeds, atomic files, input checks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = [
    "atomic_path",
    "check_finite",
    "resolve_device",
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
