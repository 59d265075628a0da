"""ResNet1D / ResNetClassifier with tabular (RR-interval) columns after the waveform."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline

from ecgaug.classifiers import FineTunedClassifier, ResNet1D, ResNetClassifier

pytestmark = pytest.mark.usefixtures("one_thread_module")

T, R = 32, 2
TINY = {
    "module__n_blocks": 1,
    "module__n_filters": 4,
    "module__n_dense": 8,
    "lr": 1e-2,
    "train_split": None,
    "batch_size": 64,
}


def _rhythm_only_data(n=400, seed=0):
    """Waveforms that carry no class information; the class is in column R0."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    wave = rng.random((n, T)).astype(np.float32)
    tab = np.c_[
        np.where(y == 1, 0.6, 1.0) + 0.05 * rng.standard_normal(n), rng.random(n)
    ]
    return np.hstack([wave, tab.astype(np.float32)]), y


def test_network_splits_waveform_and_tabular_columns():
    net = ResNet1D(n_blocks=1, n_filters=4, n_dense=8, n_timesteps=T, n_tabular=R)
    x = torch.randn(5, T + R)
    assert net(x).shape == (5, 5)
    assert net.embed(x).shape == (5, 8 + 16)
    with pytest.raises(ValueError, match=r"n_leads \* n_timesteps \+ n_tabular"):
        net(torch.randn(5, T))
    with pytest.raises(ValueError, match="n_tabular must be a non-negative"):
        ResNet1D(n_tabular=-1)
    # the tabular columns change the output: they are not ignored
    x2 = x.clone()
    x2[:, T:] += 3.0
    net.eval()
    assert not torch.allclose(net(x), net(x2))


def test_classifier_learns_from_the_tabular_columns():
    X, y = _rhythm_only_data()
    X_test, y_test = _rhythm_only_data(seed=1)
    with_tab = ResNetClassifier(
        **TINY, module__n_tabular=R, max_epochs=15, random_state=0
    ).fit(X, y)
    assert with_tab.n_timesteps_ == T and with_tab.n_features_in_ == T + R
    assert with_tab.score(X_test, y_test) > 0.9
    wave_only = ResNetClassifier(**TINY, max_epochs=15, random_state=0)
    wave_only.fit(X_test[:, :T], y_test)  # the waveform alone: chance
    assert wave_only.score(X[:, :T], y) < 0.7


def test_tabular_in_a_pipeline_and_saved(tmp_path):
    X, y = _rhythm_only_data(n=300)
    keep = (y == 0) | (np.arange(len(y)) % 4 == 0)  # imbalance class 1
    pipe = make_pipeline(
        SMOTE(random_state=0),
        ResNetClassifier(**TINY, module__n_tabular=R, max_epochs=2, random_state=0),
    ).fit(X[keep], y[keep])
    proba = pipe.predict_proba(X)
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    clf = pipe[-1]
    clf.save_params(f_params=tmp_path / "w.pt")
    fresh = ResNetClassifier(**TINY, module__n_tabular=R, max_epochs=1).fit(X, y)
    fresh.load_params(f_params=tmp_path / "w.pt")
    np.testing.assert_allclose(fresh.predict_proba(X), proba, rtol=1e-5, atol=1e-6)


def test_tabular_errors_name_the_layout():
    X, y = _rhythm_only_data(n=100)
    clf = ResNetClassifier(**TINY, module__n_tabular=R, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="then 2 tabular features"):
        clf.predict(X[:, :-1])
    with pytest.raises(ValueError, match="pass 2-D X"):
        clf.predict(X[:, None, :])
    with pytest.raises(ValueError, match="module__n_tabular=40"):
        ResNetClassifier(**TINY, module__n_tabular=40, max_epochs=1).fit(X[:, :36], y)


class _BootstrapSampler:
    """Real rows of the requested class (waveform and tabular columns)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **params):
        self.random_state = params.get("random_state", self.random_state)
        return self

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X, dtype=np.float32), np.asarray(y)
        return self

    def sample(self, n_samples, y=None, *, random_state=None):
        rng = np.random.default_rng(random_state)
        y = np.asarray(y)
        idx = np.array([rng.choice(np.flatnonzero(self.y_ == c)) for c in y])
        return self.X_[idx], y


def test_tabular_pretrain_then_finetune():
    X, y = _rhythm_only_data(n=200)
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY, module__n_tabular=R),
        sampler=_BootstrapSampler(),
        n_pretrain=200,
        pretrain_epochs=2,
        finetune_epochs=2,
        random_state=0,
    ).fit(X, y)
    assert ft.estimator_.module_.tabular is not None
    assert ft.predict(X).shape == (200,)
