"""Keep glibc from handing big freed tensors back to the kernel, for command lines.

By default glibc serves allocations above ``M_MMAP_THRESHOLD`` (128 KiB at
first, then adaptive up to 32 MiB) with fresh ``mmap`` calls and returns them to
the kernel on ``free``; it also trims the heap top above ``M_TRIM_THRESHOLD``.
A convolutional network on the CPU allocates and frees tensors of many MiB at
every layer of every step, so each step pays page faults and zeroing of memory
it had just given back. Raising both thresholds (``MALLOC_MMAP_THRESHOLD_=
4294967296``, ``MALLOC_TRIM_THRESHOLD_=68719476736``) keeps that memory in the
process. ``benchmarks/malloc_tuning.py`` measured, on a quiet 2-core CPU with
torch 2.13 (fresh processes, alternating, medians): sampling 1.49x (diffusion,
1,024 beats) and 2.13x (CGAN, 4,096 beats) faster, training steps 1.13-1.28x
faster; peak memory the same for training and up to 43 % higher for large
sampling batches (freed memory is kept for reuse until the process ends).
The command line and the benchmark scripts generate many beats, so they turn it
on; see ``benchmarks/results/malloc_tuning.md``.

glibc reads these variables once, when the process starts, so setting them
from Python is too late for the running interpreter: :func:`ensure_malloc_tuning`
re-executes the current command once with them set. The ``ecgaug`` command line
and the benchmark scripts call it first thing; importing ecgaug as a library
never does (a library must not restart its host). It does nothing on systems
other than Linux with glibc, when both variables are already set (your values
win), or when ``ECGAUG_NO_MALLOC_TUNING=1``.
"""

from __future__ import annotations

import os
import sys

__all__ = [
    "MALLOC_TUNING",
    "OPT_OUT_ENV",
    "ensure_malloc_tuning",
    "malloc_tuning_active",
]

#: The variables set and their values (bytes): 4 GiB and 64 GiB.
MALLOC_TUNING = {
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "68719476736",
}
#: Set this variable to ``1`` to turn the re-execution off.
OPT_OUT_ENV = "ECGAUG_NO_MALLOC_TUNING"
# Set in the re-executed process, so that it never re-executes again.
_GUARD_ENV = "_ECGAUG_MALLOC_REEXEC"


def _has_glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError, AttributeError):
        return False


def _opted_out(environ) -> bool:
    return environ.get(OPT_OUT_ENV, "").strip().lower() not in ("", "0", "false", "no")


def malloc_tuning_active(environ=None) -> bool:
    """Whether the glibc malloc thresholds were set when this process started.

    Parameters
    ----------
    environ : mapping, default=None
        The environment to inspect; ``os.environ`` by default.

    Returns
    -------
    bool
        True when both variables of :data:`MALLOC_TUNING` are set (to any
        value), on Linux with glibc.

    Examples
    --------
    >>> from ecgaug._malloc import malloc_tuning_active
    >>> malloc_tuning_active({"MALLOC_MMAP_THRESHOLD_": "1"})
    False
    """
    environ = os.environ if environ is None else environ
    return _has_glibc() and all(k in environ for k in MALLOC_TUNING)


def ensure_malloc_tuning() -> None:
    """Re-execute this process once with glibc's malloc thresholds raised.

    Call it first thing in a command line's ``main`` (before the work starts,
    ideally before importing torch, so that the restart is cheap). When it
    re-executes, it does not return: the process image is replaced by the same
    command (``sys.orig_argv``) with :data:`MALLOC_TUNING` added to its
    environment. It returns without doing anything when:

    - the system is not Linux with glibc (other allocators ignore the
      variables);
    - both variables are already set, to any values (yours are kept);
    - ``ECGAUG_NO_MALLOC_TUNING`` is set to ``1`` (or ``true``/``yes``);
    - this process is itself the re-executed one (no loops), or the command
      cannot be re-executed (an interactive interpreter, an embedded Python).

    A variable that is set is kept; only the absent ones are added.

    Examples
    --------
    >>> from ecgaug._malloc import ensure_malloc_tuning
    >>> def main():
    ...     ensure_malloc_tuning()  # may restart the script once
    ...     ...  # the work
    """
    environ = os.environ
    if not _has_glibc() or _opted_out(environ) or environ.get(_GUARD_ENV):
        return
    missing = {k: v for k, v in MALLOC_TUNING.items() if k not in environ}
    if not missing:
        return
    argv = list(getattr(sys, "orig_argv", ()))
    executable = sys.executable
    # An interactive session or an embedding application cannot be restarted.
    if not executable or len(argv) < 2 or sys.flags.interactive or argv[1] == "-i":
        return
    env = {**environ, **missing, _GUARD_ENV: "1"}
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    try:
        os.execve(executable, argv, env)
    except OSError:
        return  # could not restart: run on, untuned
