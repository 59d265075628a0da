"""Keep torch's CPU threads from fighting other processes for the cores.

torch runs its CPU kernels on a pool of OpenMP threads (libgomp in the PyPI
wheels), one per core it sees. Two things made ecgaug's fits 14-100x slower
when one other CPU-bound process ran on a 2-core machine (issue 18):

- **Spinning.** libgomp's threads spin (busy-wait) for a while at the end of
  every parallel region before they sleep. A fit runs thousands of small
  regions per epoch; when a core is shared with another process, a spinning
  thread burns the time slice that its partner thread needs to finish the
  region. ``OMP_WAIT_POLICY=PASSIVE`` makes waiting threads sleep at once.
  libgomp reads it once, when torch is loaded, so :func:`prefer_passive_wait`
  sets it when ``ecgaug`` is imported *before* torch, unless you set it
  yourself (``OMP_WAIT_POLICY=ACTIVE`` keeps libgomp's spinning).
- **More threads than free CPUs.** Each parallel region waits for its
  slowest thread; when the cores are shared with other busy processes, every
  region can wait for a scheduler time slice. A one-thread fit only gets
  its fair share of a core. And in a container limited to fewer CPUs than the
  machine has (a cgroup quota, ``/sys/fs/cgroup/cpu.max``), torch still starts
  one thread per core of the machine. So :func:`limit_threads` lowers torch's
  threads, for the duration of a fit, a sampling call or a prediction, to the
  CPUs this process may use (its CPU affinity and its cgroup quota) that other
  processes do not keep busy (measured from ``/proc/stat``, less this
  process's own CPU time, since the previous call or over 50 ms). It never
  raises them, so ``torch.set_num_threads(1)`` or ``OMP_NUM_THREADS=1`` is
  kept. The count is chosen when the call starts: a process that starts
  competing in the middle of a long fit is not seen.

``ECGAUG_NUM_THREADS=n`` sets the threads of ecgaug's fits and sampling calls
to ``n`` regardless (``torch.get_num_threads()`` is restored afterwards).
``benchmarks/threads.py`` measures every setting; see
``benchmarks/results/threads.md``.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "THREADS_ENV",
    "busy_cpus_of_others",
    "fit_threads",
    "limit_threads",
    "prefer_passive_wait",
    "usable_cpus",
]

#: Set to a positive integer to fix the torch threads of ecgaug's fits.
THREADS_ENV = "ECGAUG_NUM_THREADS"
#: cgroup v2's CPU quota of this process's group: ``"<quota> <period>"`` or
#: ``"max <period>"`` (microseconds).
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
_PROC_STAT = Path("/proc/stat")
#: Shortest window (s) over which other processes' CPU use is measured.
_MIN_WINDOW = 0.05
#: A measurement older than this (s) is taken afresh rather than extended.
_MAX_WINDOW = 10.0
# (monotonic time, busy CPU-seconds of the machine, CPU-seconds of this process)
_last_snapshot: tuple[float, float, float] | None = None
_last_busy: float | None = None


def _affinity_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def cgroup_cpus(path: Path = CGROUP_CPU_MAX) -> int | None:
    """The CPUs a cgroup v2 quota allows, rounded up; None without a quota.

    Parameters
    ----------
    path : path-like, default=/sys/fs/cgroup/cpu.max
        The ``cpu.max`` file: ``"150000 100000"`` allows 1.5 CPUs (returns 2),
        ``"max 100000"`` has no quota.

    Returns
    -------
    int or None
    """
    try:
        fields = Path(path).read_text().split()
        quota, period = fields[0], int(fields[1])
        if quota == "max" or period <= 0:
            return None
        return max(1, math.ceil(int(quota) / period))
    except (OSError, ValueError, IndexError):
        return None


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity, capped by its cgroup quota."""
    n = _affinity_cpus()
    quota = cgroup_cpus()
    return n if quota is None else min(n, quota)


def _snapshot() -> tuple[float, float, float] | None:
    """Now, the machine's busy CPU-seconds (``/proc/stat``), this process's."""
    try:
        with open(_PROC_STAT, "rb") as f:
            fields = f.readline().split()
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    if not fields or fields[0] != b"cpu":
        return None
    # user nice system idle iowait irq softirq steal (guest is in user)
    values = [int(v) for v in fields[1:9]]
    busy = sum(values) - values[3] - values[4]
    own = sum(os.times()[:2])
    return time.monotonic(), busy / ticks, own


def busy_cpus_of_others() -> float | None:
    """CPUs that other processes kept busy lately (Linux), None elsewhere.

    Measured from the machine's busy time (``/proc/stat``) less this
    process's CPU time (all its threads), since the previous call when that
    was between 50 ms and 10 s ago, else over a fresh 50 ms (a sleep).

    Returns
    -------
    float or None
        0.0 on an idle machine, about 1.0 with one busy-looping process.
    """
    global _last_snapshot, _last_busy
    now = _snapshot()
    if now is None:
        return None
    last = _last_snapshot
    if last is not None and now[0] - last[0] < _MIN_WINDOW and _last_busy is not None:
        return _last_busy
    if last is None or not _MIN_WINDOW <= now[0] - last[0] <= _MAX_WINDOW:
        last = now
        time.sleep(_MIN_WINDOW)
        now = _snapshot()
        if now is None:
            return None
    wall = now[0] - last[0]
    others = ((now[1] - last[1]) - (now[2] - last[2])) / wall
    _last_snapshot, _last_busy = now, max(0.0, others)
    return _last_busy


# The first measurement spans from ecgaug's import to the first fit.
_last_snapshot = _snapshot()


def _forced_threads() -> int | None:
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(
            f"{THREADS_ENV}={text!r} is not a positive integer; set it to the torch "
            f"threads ecgaug's fits should use (e.g. {THREADS_ENV}=1), or unset it."
        )
    return n


def fit_threads() -> int:
    """The torch threads a fit or a sampling call uses now.

    ``$ECGAUG_NUM_THREADS`` when set, else ``torch.get_num_threads()`` capped
    by :func:`usable_cpus` and by the CPUs of the machine that other processes
    leave free (:func:`busy_cpus_of_others`, rounded to the nearest integer;
    at least one).

    Returns
    -------
    int
    """
    import torch

    forced = _forced_threads()
    if forced is not None:
        return forced
    n = min(torch.get_num_threads(), usable_cpus())
    if n > 1:
        others = busy_cpus_of_others()
        if others is not None:
            free = (os.cpu_count() or n) - others
            n = min(n, math.floor(free + 0.5))
    return max(1, n)


@contextlib.contextmanager
def limit_threads() -> Iterator[int]:
    """Run the block with :func:`fit_threads` torch threads, then restore them.

    Yields
    ------
    int
        The threads in use inside the block.
    """
    import torch

    before = torch.get_num_threads()
    n = fit_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if n != before:
            torch.set_num_threads(before)


def prefer_passive_wait(environ=None, modules=None) -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless it is set or torch is loaded.

    Parameters
    ----------
    environ : mapping, default=None
        The environment (``os.environ``).
    modules : mapping, default=None
        The loaded modules (``sys.modules``).

    Returns
    -------
    bool
        Whether it set the variable.
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if "OMP_WAIT_POLICY" in environ or "torch" in modules:
        return False
    environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True
