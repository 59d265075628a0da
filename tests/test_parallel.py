"""``n_jobs`` on joblib and Dask: the parallel runs give the serial results.

Every loop with ``n_jobs`` is run serially and with 2 joblib workers (loky
processes), and the protocols and the benchmark helper also on a
``dask.distributed.LocalCluster`` of 2 worker processes (skipped when
``distributed`` is not installed: ``pip install ecgaug[dask]``). The results
must be identical, bit for bit, apart from the measured fit times.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch

from ecgaug._parallel import parallel_map, task_threads
from ecgaug.classifiers import (
    FineTunedClassifier,
    ResNetClassifier,
    learning_curve_finetune,
)
from ecgaug.datasets import load_sample
from ecgaug.evaluation import evaluate_protocols
from ecgaug.evaluation.metrics import discriminative_score
from tests.evaluation._toy import GaussianBeatSampler

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
TINY = {
    "module__n_blocks": 1,
    "module__n_filters": 4,
    "module__n_dense": 8,
    "max_epochs": 1,
    "batch_size": 64,
    "train_split": None,
    "random_state": 0,
}

# The serial runs on one torch thread, as the workers of 2 jobs on 2 CPUs:
# different thread counts may change the last bits of a float sum.
pytestmark = pytest.mark.usefixtures("one_thread_module")


@pytest.fixture(scope="module")
def beats():
    """80 training beats per class and 300 test beats of the bundled sample."""
    X, y = load_sample(split="train", return_X_y=True)
    X_test, y_test = load_sample(split="test", return_X_y=True)
    rng = np.random.default_rng(0)
    idx = np.concatenate(
        [rng.permutation(np.flatnonzero(y == c))[:80] for c in np.unique(y)]
    )
    test = rng.permutation(len(y_test))[:300]
    return X[idx], y[idx], X_test[test], y_test[test]


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster of 2 single-thread worker processes, and its client."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _without_times(table):
    """A result table without its (measured) fit and pretraining times."""
    if isinstance(table, dict) and "protocol" in table:  # evaluate_protocols
        keep = [i for i, m in enumerate(table["metric"]) if m != "fit_time"]
        return {k: [v[i] for i in keep] for k, v in table.items()}
    return {k: v for k, v in table.items() if not k.endswith("time")}


def _pid_and_threads(i: int) -> tuple[int, int, int]:
    return i, os.getpid(), torch.get_num_threads()


def _protocols(beats, n_jobs):
    X, y, X_test, y_test = beats
    return evaluate_protocols(
        GaussianBeatSampler(n_components=4),
        ResNetClassifier(**TINY),
        X,
        y,
        X_test,
        y_test,
        n_repeats=3,
        random_state=0,
        as_frame=False,
        n_jobs=n_jobs,
    )


# --------------------------------------------------------------------------- #
# the joblib layer                                                            #
# --------------------------------------------------------------------------- #
def test_parallel_map_keeps_order_and_limits_threads():
    before = torch.get_num_threads()
    runs = parallel_map(_pid_and_threads, [(i,) for i in range(4)], n_jobs=2)
    assert [r[0] for r in runs] == [0, 1, 2, 3]
    assert {r[1] for r in runs} != {os.getpid()}  # ran in worker processes
    # cpu_count // 2 per worker, never more than the caller's one thread
    assert {r[2] for r in runs} == {1}
    assert torch.get_num_threads() == before
    # serial: the caller's process and settings, untouched
    runs = parallel_map(_pid_and_threads, [(0,), (1,)], n_jobs=None)
    assert runs == [(0, os.getpid(), before), (1, os.getpid(), before)]


def test_task_threads_divides_the_cpus_and_restores(monkeypatch):
    monkeypatch.setattr(joblib, "cpu_count", lambda: 8)
    torch.set_num_threads(4)
    try:
        with task_threads(2, cap=8) as n:
            assert n == torch.get_num_threads() == 4
        with task_threads(4, cap=8) as n:
            assert n == torch.get_num_threads() == 2
        with task_threads(16, cap=8) as n:
            assert n == torch.get_num_threads() == 1
        with task_threads(2, cap=3) as n:  # the caller's threads bound it
            assert n == torch.get_num_threads() == 3
        with task_threads(1, cap=8) as n:  # serial: nothing changes
            assert n == 0 and torch.get_num_threads() == 4
        assert torch.get_num_threads() == 4
    finally:
        torch.set_num_threads(1)


# --------------------------------------------------------------------------- #
# the library's loops: n_jobs=2 gives the serial result                       #
# --------------------------------------------------------------------------- #
def test_evaluate_protocols_parallel_is_serial(beats):
    serial = _protocols(beats, None)
    parallel = _protocols(beats, 2)
    assert _without_times(parallel) == _without_times(serial)
    # the repeats differ from one another: the test compares real work
    acc = serial["metric"].index("accuracy")
    assert len({serial[f"repeat_{i}"][acc] for i in range(3)}) > 1


def test_learning_curve_parallel_is_serial(beats):
    X, y, X_test, y_test = beats
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY), pretrain_epochs=1, finetune_epochs=1
    )
    kw = {
        "X_pretrain": X[::2],
        "y_pretrain": y[::2],
        "fractions": (0.5, 0.25, 1.0),
        "random_state": 0,
        "as_frame": False,
    }
    serial = learning_curve_finetune(ft, X, y, X_test, y_test, **kw)
    parallel = learning_curve_finetune(ft, X, y, X_test, y_test, n_jobs=2, **kw)
    assert _without_times(parallel) == _without_times(serial)
    assert serial["model"] == ["real", "finetuned"] * 3
    # one pretraining, shared by the fine-tuned rows of every fraction
    assert len(set(parallel["pretrain_time"][1::2])) == 1


def test_discriminative_score_parallel_is_serial(beats):
    X, y, _, _ = beats
    noisy = X + np.random.default_rng(0).normal(0, 0.05, X.shape).astype(X.dtype)
    kw = {"cv": 3, "random_state": 0, "per_class": True}
    serial = discriminative_score(X, y, noisy, y, **kw)
    assert serial == discriminative_score(X, y, noisy, y, n_jobs=2, **kw)


def test_quality_report_parallel_is_serial(beats):
    from sklearn.linear_model import LogisticRegression

    from ecgaug.evaluation import synthetic_quality_report

    X, y, X_test, y_test = beats
    sampler = GaussianBeatSampler(n_components=4, random_state=0).fit(X, y)
    kw = {
        "classifier": LogisticRegression(max_iter=200),
        "metrics": ["discriminative", "protocols"],
        "protocols": ["TRTR", "TSTR"],
        "n_repeats": 2,
        "cv": 3,
        "per_class": False,
        "random_state": 0,
        "as_frame": False,
    }
    serial = synthetic_quality_report(sampler, X, y, X_test, y_test, **kw)
    parallel = synthetic_quality_report(sampler, X, y, X_test, y_test, n_jobs=2, **kw)
    assert parallel == serial
    assert "discriminative_auc" in serial["metric"]


def test_loaders_parallel_are_serial(data_home):
    from ecgaug.datasets import load_mitbih, load_ptb

    kw = {"data_home": data_home, "download_if_missing": False, "cache": False}
    serial = load_mitbih(records=[100, 102, 104], **kw)
    parallel = load_mitbih(records=[100, 102, 104], n_jobs=2, **kw)
    for key in ("data", "target", "groups", "r_peak", "symbol"):
        np.testing.assert_array_equal(parallel[key], serial[key])
    assert list(dict.fromkeys(serial.groups)) == ["100", "102", "104"]
    if (data_home / "ptbdb").exists():
        serial = load_ptb(**kw)
        parallel = load_ptb(n_jobs=2, **kw)
        np.testing.assert_array_equal(parallel.data, serial.data)
        np.testing.assert_array_equal(parallel.record, serial.record)


# --------------------------------------------------------------------------- #
# Dask: joblib.parallel_config(backend="dask") with no other change           #
# --------------------------------------------------------------------------- #
def test_dask_cluster_runs_the_protocols_like_serial(beats, dask_client):
    serial = _protocols(beats, None)
    workers = set(dask_client.run(os.getpid).values())
    with joblib.parallel_config(backend="dask"):
        pids = parallel_map(_pid_and_threads, [(i,) for i in range(4)])
        on_dask = _protocols(beats, None)
    assert {p for _, p, _ in pids} <= workers and len(workers) == 2
    assert _without_times(on_dask) == _without_times(serial)


def test_dask_cluster_runs_the_benchmark_grids(dask_client, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop("_models", None)
    import _models as M

    workers = set(dask_client.run(os.getpid).values())
    jobs = [(i,) for i in range(4)]
    # no context: joblib's own processes (loky) or this one
    assert M.run_parallel(_pid_and_threads, jobs, n_jobs=1) == [
        _pid_and_threads(i) for i in range(4)
    ]
    with joblib.parallel_config(backend="dask"):
        runs = M.run_parallel(_pid_and_threads, jobs, n_jobs=2)
    assert [r[0] for r in runs] == [0, 1, 2, 3]
    assert {r[1] for r in runs} <= workers
