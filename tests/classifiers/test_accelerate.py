"""AcceleratedResNetClassifier: skorch's AccelerateMixin on accelerate's CPU path.

On one device the accelerated fit must be the plain fit: same losses, same
probabilities, for the same ``random_state``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from ecgaug.classifiers import AcceleratedResNetClassifier, ResNetClassifier
from ecgaug.datasets import load_sample

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
