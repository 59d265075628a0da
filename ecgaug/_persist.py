"""Integrity and structure checks of the files that ``save`` writes.

A sampler file is a ``torch.save`` archive of plain values and tensors (read
back with ``weights_only=True``, so it never runs code). This module adds what
that format lacks:

- :func:`content_digest`: a SHA-256 over the *content* of the payload (every
  tensor's dtype, shape and bytes, every plain value), written into the file
  by ``save`` and checked by ``load``, so that flipped bytes in the weights
  are caught instead of sampling other beats;
- :func:`check_payload`: the keys and types a payload must have, so that a
  hand-made or damaged file raises one clear :class:`InvalidFileError`
  instead of a ``KeyError`` or ``TypeError`` from deep inside ``load``.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any

import torch

__all__ = ["InvalidFileError", "check_payload", "content_digest", "import_class"]


class InvalidFileError(ValueError):
    """A file is not a valid ecgaug sampler file; the message says why."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path} is not a valid ecgaug sampler file: {problem}")


def content_digest(obj: Any) -> str:
    """SHA-256 (hex) of a payload of dicts, lists, tensors and plain values.

    The digest depends on the content only, not on how ``torch.save`` lays it
    out: a tensor contributes its dtype, shape and bytes; a dict its items in
    the order of their keys' ``repr``.
    """
    h = hashlib.sha256()
    _update(h, obj)
    return h.hexdigest()


def _update(h, obj: Any) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}:".encode())
        for key in sorted(obj, key=repr):
            _update(h, key)
            _update(h, obj[key])
    elif isinstance(obj, list | tuple):
        h.update(f"L{len(obj)}:".encode())
        for item in obj:
            _update(h, item)
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode())


_FITTED_KEYS = (
    "classes",
    "class_counts",
    "n_features_in",
    "n_timesteps",
    "data_range",
    "dtype",
    "config",
    "sampling_strategy",
    "history",
)


def check_payload(payload: Any, path, file_format: str) -> None:
    """Raise :class:`InvalidFileError` unless ``payload`` is whole and unaltered.

    Checks the format tag, then the checksum, then the structure: the keys
    that :meth:`~ecgaug.base.BaseGenerativeSampler.load` reads, with the
    types it expects.
    """
    if not isinstance(payload, dict) or "format" not in payload:
        raise InvalidFileError(path, "it holds no ecgaug format tag.")
    if payload["format"] != file_format:
        raise InvalidFileError(
            path,
            f"its format is {payload['format']!r}, this ecgaug reads "
            f"{file_format!r}; save the sampler again with this version.",
        )
    expected = payload.get("sha256")
    if not isinstance(expected, str):
        raise InvalidFileError(path, "it has no checksum.")
    body = {k: v for k, v in payload.items() if k != "sha256"}
    if content_digest(body) != expected:
        raise InvalidFileError(
            path,
            "its checksum does not match its content (the file is damaged or "
            "was edited); save the sampler again.",
        )
    for key, kind in (
        ("class", str),
        ("params", dict),
        ("fitted", dict),
        ("modules", dict),
    ):
        if not isinstance(payload.get(key), kind):
            raise InvalidFileError(
                path, f"{key!r} is missing or not a {kind.__name__}."
            )
    missing = [k for k in _FITTED_KEYS if k not in payload["fitted"]]
    if missing:
        raise InvalidFileError(path, f"'fitted' lacks {missing}.")


def import_class(qualified: str, path, base: type) -> type:
    """The ecgaug class named ``qualified``, checked to derive from ``base``."""
    module, _, name = qualified.rpartition(".")
    if not module.startswith("ecgaug."):
        raise InvalidFileError(
            path, f"it names class {qualified!r}, which is not an ecgaug sampler."
        )
    try:
        klass = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise InvalidFileError(
            path, f"its class {qualified!r} does not exist in this ecgaug ({exc})."
        ) from exc
    if not isinstance(klass, type) or not issubclass(klass, base):
        raise InvalidFileError(path, f"{qualified!r} is not a {base.__name__} class.")
    return klass
