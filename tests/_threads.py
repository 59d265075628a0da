"""Run the tests' small fits on one CPU thread, then restore the counts.

Small networks run fastest on one thread, and several OpenMP threads
competing for a few busy cores slow them down many times over
(HistGradientBoosting and a small ResNet slowed 20x on a loaded 2-core
machine). One torch thread also makes training bit-for-bit repeatable: with
several, some CPU kernels sum in a varying order, so two fits with the same
seed can differ in the last bits (~1e-7) of the weights.
"""

from __future__ import annotations

from collections.abc import Iterator


def on_one_thread(blas: bool = False) -> Iterator[None]:
    """Yield once with torch (and, when ``blas``, BLAS/OpenMP) on one thread.

    For fixtures: ``yield from on_one_thread()``.
    """
    import torch
    from threadpoolctl import threadpool_limits

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        if blas:
            with threadpool_limits(1):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(n)
