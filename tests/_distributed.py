"""Two CPU processes (gloo), started as ``torchrun`` starts them: accelerate tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import torch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world: int, port: int, out: str, train, args) -> None:
    import accelerate

    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
    )
    torch.set_num_threads(1)
    acc = accelerate.Accelerator(cpu=True)
    weights, loss = train(acc, *args)
    torch.save({"weights": weights, "loss": loss}, os.path.join(out, f"rank{rank}.pt"))
    acc.wait_for_everyone()
    torch.distributed.destroy_process_group()


def run_two_ranks(train: Callable, out: Path, *args) -> list[dict]:
    """Run ``train(accelerator, *args) -> (weights, loss)`` in 2 spawned processes.

    ``train`` must be a module-level function (it is pickled). Returns each
    rank's ``{"weights": [...], "loss": float}``.
    """
    torch.multiprocessing.start_processes(
        _rank_main,
        args=(2, _free_port(), str(out), train, args),
        nprocs=2,
        start_method="spawn",
    )
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]
