"""A cache of extracted beats that is checked on every load and never trusted blindly.

One ``.npz`` file per (database, record, preprocessing parameters). The file name
is a hash of the parameters; inside, next to the arrays, the file stores

* ``__sha256__``: a SHA256 over the names, dtypes, shapes and bytes of the arrays,
  so a corrupt or truncated file is detected;
* ``__source__``: a fingerprint (name, size, mtime_ns) of the record files the
  beats came from, so beats of files that changed since are detected as stale.

A file that fails either check is rebuilt (with a ``UserWarning``). Files are
written atomically and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .._utils import atomic_path

__all__ = ["cache_path", "fingerprint", "load_cached", "save_cached"]

#: Bump when the extraction code changes in a way that alters cached beats.
CACHE_VERSION = 1

_SHA_KEY = "__sha256__"
_SOURCE_KEY = "__source__"


def fingerprint(files: Sequence[Path]) -> str:
    """A JSON string of (name, size, mtime_ns) of ``files``, in the given order."""
    items = []
    for path in files:
        stat = Path(path).stat()
        items.append([Path(path).name, stat.st_size, stat.st_mtime_ns])
    return json.dumps(items)


def cache_path(cache_dir: Path, db: str, record: str, params: Mapping) -> Path:
    """Where the beats of ``record`` extracted with ``params`` are cached."""
    key = json.dumps(
        {"version": CACHE_VERSION, "db": db, "record": record, **params},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return Path(cache_dir) / db / f"{record.replace('/', '_')}-{digest}.npz"


def _arrays_sha256(arrays: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def save_cached(path: Path, arrays: Mapping[str, np.ndarray], source: str) -> None:
    """Write ``arrays`` to ``path`` atomically with their checksum and ``source``.

    A cache folder that cannot be written only gives a warning: the beats are
    still returned, they are just extracted again next time.
    """
    payload = {name: np.asarray(a) for name, a in arrays.items()}
    payload[_SHA_KEY] = np.array(_arrays_sha256(payload))
    payload[_SOURCE_KEY] = np.array(source)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, **payload)
    except OSError as exc:
        warnings.warn(
            f"Could not write the beat cache {path} ({exc}); beats will be extracted "
            "again next time. Set ECGAUG_CACHE to a writable folder, or pass "
            "cache=False.",
            UserWarning,
            stacklevel=3,
        )


def load_cached(path: Path, source: str) -> dict[str, np.ndarray] | None:
    """The arrays cached at ``path``, or ``None`` when absent, corrupt or stale."""
    path = Path(path)
    if not path.exists():
        return None
    problem = None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except Exception as exc:  # zipfile.BadZipFile, EOFError, ValueError, OSError...
        problem = f"it cannot be read ({type(exc).__name__}: {exc})"
    else:
        stored_sha = arrays.pop(_SHA_KEY, None)
        stored_source = arrays.pop(_SOURCE_KEY, None)
        if stored_sha is None or str(stored_sha) != _arrays_sha256(arrays):
            problem = "its checksum does not match its contents"
        elif stored_source is None or str(stored_source) != source:
            problem = "the record files changed since it was written"
    if problem is None:
        return arrays
    warnings.warn(
        f"Ignoring the beat cache {path}: {problem}. Rebuilding it from the records.",
        UserWarning,
        stacklevel=3,
    )
    try:
        os.remove(path)
    except OSError:
        pass
    return None
