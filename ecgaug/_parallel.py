"""Independent tasks on joblib: ``n_jobs``, threads per task, ordered results.

Every parallel loop of ecgaug (repeats of :func:`evaluate_protocols`,
fractions of :func:`learning_curve_finetune`, records of the loaders) goes
through :func:`parallel_map`, a thin layer over :class:`joblib.Parallel`:

- ``n_jobs`` has scikit-learn's meaning: ``None`` is 1 unless a
  :func:`joblib.parallel_config` context says otherwise, ``-1`` all CPUs.
  Inside ``with joblib.parallel_config(backend="dask"):`` the tasks run on a
  ``dask.distributed`` cluster with no other change (Ray's joblib backend
  likewise).
- The callers draw every seed up front, before any task starts, so that a
  task's result depends on its arguments only: the same as the serial loop.
- Each task limits torch's and the BLAS/OpenMP threads to
  ``max(1, cpu_count // n_workers)`` (the CPUs of the machine it runs on,
  ``n_workers`` the tasks that run at once), and never more than the caller's
  torch threads, and restores them afterwards: ``n_jobs`` processes do not
  each start one thread per core, and a caller on one thread gets one thread
  per task (the same floating-point sums as its serial loop).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["effective_n_jobs", "parallel_map", "task_threads"]


def effective_n_jobs(n_jobs: int | None) -> int:
    """How many tasks joblib runs at once for ``n_jobs`` (and the active context)."""
    import joblib

    return int(joblib.effective_n_jobs(n_jobs))


@contextlib.contextmanager
def task_threads(n_workers: int, cap: int | None = None) -> Iterator[int]:
    """torch and BLAS/OpenMP threads of one task among ``n_workers`` at once.

    Sets ``max(1, min(cap, cpu_count // n_workers))`` threads
    (``joblib.cpu_count``: the CPUs this process may use), yields that number
    and restores the previous counts. ``n_workers <= 1`` changes nothing (and
    yields 0): a serial loop keeps the caller's settings.
    """
    if n_workers <= 1:
        yield 0
        return
    import joblib
    import torch
    from threadpoolctl import threadpool_limits

    threads = joblib.cpu_count() // int(n_workers)
    if cap is not None:
        threads = min(threads, int(cap))
    threads = max(1, threads)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads):
            yield threads
    finally:
        torch.set_num_threads(before)


class _InTask:
    """``func`` run under :func:`task_threads` (a class, so that it pickles)."""

    def __init__(self, func: Callable, n_workers: int, cap: int) -> None:
        self.func = func
        self.n_workers = n_workers
        self.cap = cap

    def __call__(self, *args: Any) -> Any:
        with task_threads(self.n_workers, self.cap):
            return self.func(*args)


def parallel_map(
    func: Callable,
    tasks: Sequence[tuple],
    *,
    n_jobs: int | None = None,
    limit_threads: bool = True,
    desc: str | None = None,
    verbose: int = 0,
) -> list:
    """``[func(*task) for task in tasks]`` on joblib, results in task order.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled to the workers).
    tasks : sequence of tuple
        Positional arguments of each call.
    n_jobs : int or None, default=None
        joblib's ``n_jobs``: ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context, ``-1`` all CPUs.
    limit_threads : bool, default=True
        Run each task under :func:`task_threads` when several run at once.
    desc : str or None
        Label of the progress bar.
    verbose : int, default=0
        Show a progress bar over the tasks (updated as results arrive).

    Returns
    -------
    list
        One result per task, in the order of ``tasks``.
    """
    import torch
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    tasks = list(tasks)
    if not tasks:
        return []
    n_workers = min(effective_n_jobs(n_jobs), len(tasks))
    call = _InTask(func, n_workers, torch.get_num_threads()) if limit_threads else func
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(call)(*task) for task in tasks
    )
    bar = tqdm(results, total=len(tasks), desc=desc, disable=not verbose)
    return list(bar)
