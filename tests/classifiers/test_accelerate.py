"""AcceleratedResNetClassifier: skorch's AccelerateMixin on accelerate's CPU path.

On one device the accelerated fit must be the plain fit: same losses, same
probabilities, for the same ``random_state``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from ecgaug.classifiers import AcceleratedResNetClassifier, ResNetClassifier
from ecgaug.datasets import load_sample
from tests._distributed import run_two_ranks

accelerate = pytest.importorskip("accelerate")

TINY = {
    "module__n_blocks": 1,
    "module__n_filters": 4,
    "module__n_dense": 8,
    "max_epochs": 2,
    "batch_size": 64,
    "train_split": 0.2,
    "random_state": 0,
}

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
    idx = np.random.default_rng(0).permutation(len(y))[:500]
    return X[idx], y[idx]


def test_one_cpu_gives_the_plain_fit(beats, capsys):
    X, y = beats
    plain = ResNetClassifier(device="cpu", **TINY).fit(X, y)
    accelerated = AcceleratedResNetClassifier(
        accelerator=accelerate.Accelerator(cpu=True), **TINY
    ).fit(X, y)
    for key in ("train_loss", "valid_loss", "valid_acc"):
        assert accelerated.history[:, key] == plain.history[:, key]
    np.testing.assert_array_equal(accelerated.predict_proba(X), plain.predict_proba(X))
    assert capsys.readouterr().out == ""  # verbose=0 is quiet under accelerate


def test_clone_pickle_and_verbose(beats, capsys):
    X, y = beats
    clf = AcceleratedResNetClassifier(
        accelerator=accelerate.Accelerator(cpu=True), verbose=1, **TINY
    )
    fitted = clone(clf).fit(X, y)
    assert "train_loss" in capsys.readouterr().out  # the main process prints
    with pytest.warns(UserWarning, match="device"):  # skorch: device None -> cpu
        again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))


def test_amp_points_to_the_accelerator(beats):
    X, y = beats
    clf = AcceleratedResNetClassifier(
        accelerator=accelerate.Accelerator(cpu=True), amp="bf16", **TINY
    )
    with pytest.raises(ValueError, match="mixed_precision='bf16'"):
        clf.fit(X, y)


def _train_classifier(acc, X, y):
    """One rank of the 2-process DDP run: the network's weights and last loss."""
    clf = AcceleratedResNetClassifier(accelerator=acc, **TINY).fit(X, y)
    weights = [p.detach().clone() for p in clf.module_.parameters()]
    return weights, float(clf.history[-1, "train_loss"])


# two fresh interpreters (torch, accelerate, gloo): tens of seconds
@pytest.mark.slow
@pytest.mark.skipif(
    not torch.distributed.is_available(), reason="torch without distributed"
)
def test_two_processes_train_one_network(beats, tmp_path):
    X, y = beats
    ranks = run_two_ranks(_train_classifier, tmp_path, X, y)
    # DDP: each process trains on its shard, the gradients are averaged, so
    # both end with the same network
    for a, b in zip(ranks[0]["weights"], ranks[1]["weights"], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert ranks[0]["loss"] != ranks[1]["loss"]
