"""learning_curve_finetune: the Tables 2-4 protocol on the bundled sample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from ecgaug.classifiers import (
    FineTunedClassifier,
    ResNetClassifier,
    learning_curve_finetune,
)
from ecgaug.classifiers._curves import nested_stratified_subsets
from ecgaug.datasets import load_sample

TINY = {
    "module__n_blocks": 1,
    "module__n_filters": 8,
    "module__n_dense": 16,
    "lr": 3e-3,
    "train_split": None,
}
METRICS = ("accuracy", "precision_macro", "recall_macro", "f1_macro")


# Small networks run fastest on one thread (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread_module")


class CountingGaussianSampler(BaseEstimator):
    """Per-class Gaussian beats; counts its fits across clones."""

    fit_sizes: list[int] = []

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.mean_ = np.stack([X[y == c].mean(0) for c in self.classes_])
        self.std_ = np.stack([X[y == c].std(0) for c in self.classes_])
        CountingGaussianSampler.fit_sizes.append(len(y))
        return self

    def sample(self, n_samples, y=None, *, random_state=None):
        rng = np.random.default_rng(
            self.random_state if random_state is None else random_state
        )
        y = np.full(n_samples, y) if np.ndim(y) == 0 else np.asarray(y)
        k = np.searchsorted(self.classes_, y)
        noise = rng.standard_normal((n_samples, self.mean_.shape[1]))
        return (self.mean_[k] + self.std_[k] * noise).astype(np.float32), y


@pytest.fixture(scope="module")
def data():
    X, y = load_sample(split="train", return_X_y=True)
    X_test, y_test = load_sample(split="test", return_X_y=True)
    train = np.random.default_rng(0).permutation(len(y))[:800]
    return X[train], y[train], X_test, y_test


def test_nested_stratified_subsets():
    y = np.repeat([0, 1, 2], [100, 30, 10])
    subsets = nested_stratified_subsets(y, (0.2, 0.5, 1.0), random_state=0)
    assert [np.bincount(y[subsets[f]]).tolist() for f in (0.2, 0.5, 1.0)] == [
        [20, 6, 2],
        [50, 15, 5],
        [100, 30, 10],
    ]
    assert set(subsets[0.2]) <= set(subsets[0.5]) <= set(subsets[1.0])
    again = nested_stratified_subsets(y, (0.2,), random_state=0)
    np.testing.assert_array_equal(again[0.2], subsets[0.2])
    other = nested_stratified_subsets(y, (0.2,), random_state=1)
    assert not np.array_equal(other[0.2], subsets[0.2])
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        nested_stratified_subsets(y, (0.0,))


def test_curve_table_with_a_sampler_pretrains_once(data):
    X, y, X_test, y_test = data
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY, max_epochs=2),
        sampler=CountingGaussianSampler(),
        n_pretrain=500,
        pretrain_epochs=1,
        finetune_epochs=2,
    )
    n_fits = len(CountingGaussianSampler.fit_sizes)
    table = learning_curve_finetune(
        ft, X, y, X_test, y_test, fractions=(0.5, 0.25, 1.0), as_frame=False
    )
    # one sampler fit, on all the training data (the largest fraction)
    assert CountingGaussianSampler.fit_sizes[n_fits:] == [len(y)]
    assert table["fraction"] == [0.25, 0.25, 0.5, 0.5, 1.0, 1.0]
    assert table["model"] == ["real", "finetuned"] * 3
    counts = np.bincount(y)
    assert table["n_train"][-1] == len(y)
    assert table["n_train"][0] == sum(max(1, round(0.25 * c)) for c in counts)
    for key in (*METRICS, *(f"recall_{c}" for c in range(5))):
        values = np.array(table[key])
        assert np.all((values >= 0) & (values <= 1)), key
    assert np.all(np.array(table["fit_time"]) > 0)
    pretrain = np.array(table["pretrain_time"])
    assert np.all(pretrain[1::2] == pretrain[1]) and pretrain[1] > 0
    assert np.all(pretrain[::2] == 0)
    # scored on the test set: class-frequency-weighted recalls are the accuracy
    weights = np.bincount(y_test) / len(y_test)
    recalls = np.array([table[f"recall_{c}"] for c in range(5)])  # (5, n_rows)
    np.testing.assert_allclose(weights @ recalls, table["accuracy"])


def test_cross_task_pretraining_set_and_dataframe(data):
    pd = pytest.importorskip("pandas")
    X, y, X_test, y_test = data
    binary = np.where(y == 0, "N", "abnormal")  # Table 4: 5 classes -> 2
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY, max_epochs=1), pretrain_epochs=1, finetune_epochs=1
    )
    table = learning_curve_finetune(
        ft,
        X[400:],
        binary[400:],
        X_test,
        np.where(y_test == 0, "N", "abnormal"),
        X_pretrain=X[:400],
        y_pretrain=y[:400],
        fractions=(1.0,),
        baseline=False,
    )
    assert isinstance(table, pd.DataFrame)
    assert table["model"].tolist() == ["finetuned"]
    assert {"recall_N", "recall_abnormal", "f1_macro"} <= set(table.columns)


def test_bad_arguments(data):
    X, y, X_test, y_test = data
    ft = FineTunedClassifier(ResNetClassifier(**TINY))
    with pytest.raises(TypeError, match="FineTunedClassifier"):
        learning_curve_finetune(ResNetClassifier(), X, y, X_test, y_test)
    with pytest.raises(ValueError, match="as_frame"):
        learning_curve_finetune(ft, X, y, X_test, y_test, as_frame="yes")
    with pytest.raises(ValueError, match="empty"):
        learning_curve_finetune(ft, X, y, X_test, y_test, fractions=())
