"""The samplers' training through accelerate (``ecgaug.base.accelerated``).

On one CPU process the accelerated fit must be the plain fit, bit for bit; two
processes (gloo, spawned here like ``torchrun`` would) must end with the same
weights, their gradients averaged at every step.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ecgaug.base import accelerated
from ecgaug.datasets import load_sample
from ecgaug.generators import CGANSampler, DiffusionSampler, TTSCGANSampler
from tests._distributed import run_two_ranks
from tests._fast_params import FAST_PARAMS

accelerate = pytest.importorskip("accelerate")

SAMPLERS = (CGANSampler, TTSCGANSampler, DiffusionSampler)

pytestmark = pytest.mark.usefixtures("one_thread_module")


@pytest.fixture(autouse=True)
def _fresh_accelerate_state():
    """accelerate keeps one process-wide state; each test sets its own."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(True)
    yield
    AcceleratorState._reset_state(True)


@pytest.fixture(scope="module")
def beats():
    X, y = load_sample(split="train", return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))[:300]
    return X[idx], y[idx]


def _fit(cls, X, y, **kw):
    return cls(**{**FAST_PARAMS[cls.__name__], "random_state": 0, **kw}).fit(X, y)


def _weights(sampler) -> list[torch.Tensor]:
    return [
        p.detach().cpu().clone()
        for name in sampler._module_names
        for p in getattr(sampler, name).parameters()
    ]


@pytest.mark.parametrize("cls", SAMPLERS, ids=lambda c: c.__name__)
def test_one_process_is_the_plain_fit(beats, cls):
    X, y = beats
    plain = _fit(cls, X, y)
    with accelerated(accelerate.Accelerator(cpu=True)):
        fitted = _fit(cls, X, y)
    for a, b in zip(_weights(fitted), _weights(plain), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    labels = np.repeat(plain.classes_, 2)
    np.testing.assert_array_equal(
        fitted.sample(len(labels), y=labels, random_state=1)[0],
        plain.sample(len(labels), y=labels, random_state=1)[0],
    )


def test_bf16_mixed_precision_trains(beats):
    X, y = beats
    with accelerated(accelerate.Accelerator(cpu=True, mixed_precision="bf16")):
        fitted = _fit(CGANSampler, X, y)
    plain = _fit(CGANSampler, X, y)
    assert all(np.isfinite(v) for h in fitted.history_ for v in _floats(h))
    # the forward passes ran in bfloat16: not the float32 weights
    assert any(
        not torch.equal(a, b)
        for a, b in zip(_weights(fitted), _weights(plain), strict=True)
    )


def _floats(logs: dict) -> list[float]:
    return [v for v in logs.values() if isinstance(v, float)]


def test_bad_accelerators_are_refused():
    fp16 = SimpleNamespace(
        device=torch.device("cuda"),
        num_processes=1,
        process_index=0,
        reduce=None,
        autocast=None,
        mixed_precision="fp16",
    )
    with pytest.raises(ValueError, match="mixed_precision='bf16'"):
        with accelerated(fp16):
            pass
    with pytest.raises(TypeError, match="accelerate.Accelerator"):
        with accelerated(object()):
            pass


def _train_diffusion(acc, X, y):
    """One rank of the 2-process run: the sampler's weights and last loss."""
    with accelerated(acc):
        sampler = _fit(DiffusionSampler, X, y)
    return _weights(sampler), sampler.history_[-1]["loss"]


# two fresh interpreters (torch, accelerate, gloo): tens of seconds
@pytest.mark.slow
@pytest.mark.skipif(
    not torch.distributed.is_available(), reason="torch without distributed"
)
def test_two_processes_average_their_gradients(beats, tmp_path):
    X, y = beats
    ranks = run_two_ranks(_train_diffusion, tmp_path, X, y)
    # same initial weights, averaged gradients: the same weights at the end
    for a, b in zip(ranks[0]["weights"], ranks[1]["weights"], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # ... although each process trained on other beats (its share of a batch)
    assert ranks[0]["loss"] != ranks[1]["loss"]
    # and the weights moved away from one process's own training
    alone = _weights(_fit(DiffusionSampler, X, y))
    assert any(
        not torch.equal(a, b) for a, b in zip(ranks[0]["weights"], alone, strict=True)
    )
