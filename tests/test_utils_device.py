"""``resolve_device("auto")``: each worker process picks its own GPU.

No GPU is needed: torch's CUDA queries are replaced by a fake machine with
``n_gpus`` visible GPUs whose current device is ``current``.
"""

from __future__ import annotations

import pytest
import torch

from ecgaug._utils import resolve_device


@pytest.fixture
def fake_gpus(monkeypatch):
    """Make torch see ``n_gpus`` GPUs, the current one being ``current``."""

    def install(n_gpus: int, current: int = 0) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n_gpus > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n_gpus)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: current)

    monkeypatch.delenv("LOCAL_RANK", raising=False)
    return install


def test_auto_without_gpu_is_the_cpu(fake_gpus, monkeypatch):
    fake_gpus(0)
    monkeypatch.setenv("LOCAL_RANK", "3")  # a rank alone does not make a GPU
    assert resolve_device("auto") == torch.device("cpu")


def test_auto_takes_the_current_device(fake_gpus):
    # dask-cuda / a user's CUDA_VISIBLE_DEVICES: CUDA numbers the worker's GPU 0
    fake_gpus(1, current=0)
    assert resolve_device("auto") == torch.device("cuda", 0)
    # torch.cuda.set_device(2) in this process
    fake_gpus(4, current=2)
    assert resolve_device("auto") == torch.device("cuda", 2)


@pytest.mark.parametrize(
    ("rank", "n_gpus", "expected"), [("0", 4, 0), ("3", 4, 3), ("5", 4, 1), ("2", 1, 0)]
)
def test_auto_follows_local_rank(fake_gpus, monkeypatch, rank, n_gpus, expected):
    # torchrun / accelerate launch: rank k of a machine takes GPU k (modulo
    # the GPUs it sees: one per rank when CUDA_VISIBLE_DEVICES is split)
    fake_gpus(n_gpus, current=0)
    monkeypatch.setenv("LOCAL_RANK", rank)
    assert resolve_device("auto") == torch.device("cuda", expected)


def test_bad_local_rank_names_the_variable(fake_gpus, monkeypatch):
    fake_gpus(2)
    monkeypatch.setenv("LOCAL_RANK", "first")
    with pytest.raises(ValueError, match="LOCAL_RANK='first'"):
        resolve_device("auto")


def test_named_devices_are_unchanged(fake_gpus, monkeypatch):
    fake_gpus(2, current=1)
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device("cpu") == torch.device("cpu")
    fake_gpus(0)
    with pytest.raises(ValueError, match="no CUDA GPU is visible"):
        resolve_device("cuda")
