"""ecgaug._threads: torch's threads follow the CPUs that are free to use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecgaug import _threads
from ecgaug._threads import (
    THREADS_ENV,
    busy_cpus_of_others,
    cgroup_cpus,
    fit_threads,
    limit_threads,
    prefer_passive_wait,
)
from tests._fast_params import FAST_PARAMS


@pytest.fixture
def torch_threads():
    """Restore torch's threads after the test."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture
def machine(monkeypatch):
    """A fake machine: ``machine(cpus, usable, busy_others)``."""

    def make(cpus: int, usable: int, busy: float | None):
        monkeypatch.delenv(THREADS_ENV, raising=False)
        monkeypatch.setattr(_threads.os, "cpu_count", lambda: cpus)
        monkeypatch.setattr(_threads, "usable_cpus", lambda: usable)
        monkeypatch.setattr(_threads, "busy_cpus_of_others", lambda: busy)

    return make


@pytest.mark.parametrize(
    "text, expected",
    [("150000 100000\n", 2), ("100000 100000", 1), ("max 100000", None), ("", None)],
)
def test_cgroup_cpus_reads_the_quota(tmp_path, text, expected):
    path = tmp_path / "cpu.max"
    path.write_text(text)
    assert cgroup_cpus(path) == expected
    assert cgroup_cpus(tmp_path / "absent") is None


def test_one_busy_process_leaves_one_thread(machine, torch_threads):
    torch.set_num_threads(2)
    machine(cpus=2, usable=2, busy=1.0)
    assert fit_threads() == 1
    machine(cpus=2, usable=2, busy=0.1)  # an idle machine keeps both
    assert fit_threads() == 2


def test_quota_below_the_cores_caps_threads(machine, torch_threads):
    torch.set_num_threads(2)
    machine(cpus=2, usable=1, busy=0.0)
    assert fit_threads() == 1


def test_threads_are_never_raised(machine, torch_threads):
    torch.set_num_threads(1)
    machine(cpus=8, usable=8, busy=None)
    assert fit_threads() == 1


def test_env_var_forces_the_threads(machine, monkeypatch, torch_threads):
    torch.set_num_threads(1)
    machine(cpus=2, usable=2, busy=2.0)
    monkeypatch.setenv(THREADS_ENV, "2")
    assert fit_threads() == 2
    monkeypatch.setenv(THREADS_ENV, "two")
    with pytest.raises(ValueError, match=f"{THREADS_ENV}='two' is not a positive"):
        fit_threads()


def test_limit_threads_restores_torch_threads(machine, torch_threads):
    torch.set_num_threads(2)
    machine(cpus=2, usable=2, busy=1.0)
    with limit_threads() as n:
        assert n == torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_busy_cpus_of_others_leaves_out_this_process(monkeypatch):
    # Over 1 s the machine was busy 1.5 CPU-seconds, 1.0 of them this process's.
    snaps = iter([(100.0, 50.0, 3.0), (101.0, 51.5, 4.0), (101.01, 60.0, 5.0)])
    monkeypatch.setattr(_threads, "_snapshot", lambda: next(snaps))
    monkeypatch.setattr(_threads, "_last_snapshot", None)
    monkeypatch.setattr(_threads.time, "sleep", lambda s: None)
    assert busy_cpus_of_others() == pytest.approx(0.5)
    # within 50 ms of the last measurement, the last value is reused
    assert busy_cpus_of_others() == pytest.approx(0.5)


def test_busy_cpus_of_others_on_this_machine():
    others = busy_cpus_of_others()
    if others is None:
        pytest.skip("no /proc/stat here")
    assert 0.0 <= others <= (_threads.os.cpu_count() or 1) + 0.5


def test_prefer_passive_wait_only_before_torch():
    env: dict[str, str] = {}
    assert prefer_passive_wait(env, modules={}) and env["OMP_WAIT_POLICY"] == "PASSIVE"
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    assert not prefer_passive_wait(env, modules={})
    assert env["OMP_WAIT_POLICY"] == "ACTIVE"
    env = {}
    assert not prefer_passive_wait(env, modules={"torch": object()}) and not env


@pytest.mark.parametrize("what", ["sampler_fit", "sampler_sample", "classifier"])
def test_fits_run_with_the_limited_threads(
    what, machine, monkeypatch, torch_threads, bundled_sample
):
    torch.set_num_threads(2)
    machine(cpus=2, usable=2, busy=1.0)
    seen = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: seen.append(n) or real(n))
    X, y = bundled_sample.data[:200], bundled_sample.target[:200]
    if what == "classifier":
        from ecgaug.classifiers import ResNetClassifier

        clf = ResNetClassifier(
            module__n_blocks=1, max_epochs=1, train_split=None, device="cpu"
        )
        clf.fit(X, y)
    else:
        from ecgaug.generators import CGANSampler

        params = {**FAST_PARAMS["CGANSampler"], "n_epochs": 1}
        sampler = CGANSampler(random_state=0, **params).fit(X, y)
        if what == "sampler_sample":
            seen.clear()
            out, _ = sampler.sample(8, y=np.unique(y)[0])
            assert out.shape == (8, X.shape[1])
    assert seen[:2] == [1, 2]  # one thread inside, restored after
    assert torch.get_num_threads() == 2
