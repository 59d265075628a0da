"""Fixtures of the evaluation tests: real beats of the bundled sample, toy samplers."""

from __future__ import annotations

import numpy as np
import pytest

from tests._threads import on_one_thread
from tests.evaluation._toy import CopyingSampler, GaussianBeatSampler


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """One BLAS / OpenMP / torch thread for the package (``tests/_threads.py``)."""
    yield from on_one_thread(blas=True)


@pytest.fixture(scope="package")
def split():
    """``(X_train, y_train, X_test, y_test)`` of the bundled real sample."""
    from ecgaug.datasets import load_sample

    X_train, y_train = load_sample(split="train", return_X_y=True)
    X_test, y_test = load_sample(split="test", return_X_y=True)
    return X_train, y_train, X_test, y_test


@pytest.fixture(scope="package")
def halves(split):
    """Two disjoint halves of the real training beats, each ~100 per class."""
    X, y, _, _ = split
    rng = np.random.default_rng(0)
    a, b = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))[:200]
        a.append(idx[: len(idx) // 2])
        b.append(idx[len(idx) // 2 :])
    a, b = np.concatenate(a), np.concatenate(b)
    return X[a], y[a], X[b], y[b]


@pytest.fixture(scope="package")
def gaussian(split):
    X, y, _, _ = split
    return GaussianBeatSampler(random_state=0).fit(X, y)


@pytest.fixture(scope="package")
def copier(split):
    X, y, _, _ = split
    return CopyingSampler(random_state=0).fit(X, y)


@pytest.fixture(scope="package")
def tiny_resnet(split):
    """A small fitted ResNetClassifier (a second on one CPU thread)."""
    from ecgaug.classifiers import ResNetClassifier

    X, y, _, _ = split
    clf = ResNetClassifier(
        module__n_blocks=1,
        module__n_filters=8,
        max_epochs=3,
        train_split=None,
        random_state=0,
    )
    return clf.fit(X, y)
