"""FineTunedClassifier: weight transfer, freezing, cross-task heads, no CV leak."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, cross_validate
from skorch.callbacks import Callback

from ecgaug.classifiers import FineTunedClassifier, ResNetClassifier
from ecgaug.datasets import load_sample

TINY = {
    "module__n_blocks": 1,
    "module__n_filters": 8,
    "module__n_dense": 16,
    "lr": 3e-3,
    "train_split": None,
}


# Small networks run fastest on one thread (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread_module")


class JitterSampler(BaseEstimator):
    """Bootstrap of real beats of the requested class plus Gaussian jitter.

    Implements exactly the sampler interface FineTunedClassifier relies on,
    and records what it saw and was asked for.
    """

    fit_sizes: list[int] = []  # every fit, across clones

    def __init__(self, noise=0.02, random_state=None):
        self.noise = noise
        self.random_state = random_state

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X, dtype=np.float32), np.asarray(y)
        self.n_fit_samples_ = len(y)
        JitterSampler.fit_sizes.append(len(y))
        return self

    def sample(self, n_samples, y=None, *, random_state=None):
        rng = np.random.default_rng(
            self.random_state if random_state is None else random_state
        )
        y = np.full(n_samples, y) if np.ndim(y) == 0 else np.asarray(y)
        self.requested_ = y
        idx = np.array([rng.choice(np.flatnonzero(self.y_ == label)) for label in y])
        X = self.X_[idx] + self.noise * rng.standard_normal(self.X_[idx].shape)
        return X.astype(np.float32), y


class Snapshot(Callback):
    """Module weights when training begins and when the first epoch begins."""

    def on_train_begin(self, net, **kwargs):
        self.at_init_ = {k: v.clone() for k, v in net.module_.state_dict().items()}

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 1:
            self.at_start_ = {k: v.clone() for k, v in net.module_.state_dict().items()}


def _state(net):
    return {k: v.clone() for k, v in net.module_.state_dict().items()}


@pytest.fixture(scope="module")
def data():
    X, y = load_sample(split="train", return_X_y=True)
    X_test, y_test = load_sample(split="test", return_X_y=True)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    return X[idx[:600]], y[idx[:600]], X_test, y_test


def test_pretraining_changes_the_weights_finetuning_starts_from(data):
    X, y, _, _ = data
    clf = ResNetClassifier(**TINY, max_epochs=1, callbacks=[("snap", Snapshot())])
    ft = FineTunedClassifier(
        clf,
        sampler=JitterSampler(),
        n_pretrain=500,
        pretrain_epochs=2,
        finetune_epochs=1,
        random_state=0,
    ).fit(X, y)
    pre = ft.pretrained_
    pre_snap = dict(pre.callbacks_)["snap"]
    ft_snap = dict(ft.estimator_.callbacks_)["snap"]
    final = _state(pre)
    for key, value in final.items():
        # pretraining moved every weight away from its initialisation ...
        assert not torch.equal(value, pre_snap.at_init_[key]), key
        if key.startswith("head."):
            # ... the new head starts from its fresh initialisation ...
            assert torch.equal(ft_snap.at_start_[key], ft_snap.at_init_[key])
        else:
            # ... and fine-tuning starts from the pretrained trunk, not its own init
            assert torch.equal(ft_snap.at_start_[key], value), key
            assert not torch.equal(ft_snap.at_start_[key], ft_snap.at_init_[key])
    assert ft.pretrain_time_ > 0 and ft.finetune_time_ > 0 and ft.sample_time_ > 0


def test_freeze_keeps_layers_bit_identical(data):
    X, y, _, _ = data
    clf = ResNetClassifier(**TINY, max_epochs=1)
    ft = FineTunedClassifier(
        clf,
        sampler=JitterSampler(),
        n_pretrain=300,
        pretrain_epochs=1,
        finetune_epochs=2,
        freeze=("stem", "blocks.0"),
        random_state=0,
    ).fit(X, y)
    before, after = _state(ft.pretrained_), _state(ft.estimator_)
    for key in before:
        frozen = key.startswith(("stem.", "blocks.0."))
        assert torch.equal(before[key], after[key]) == frozen, key


def test_head_keep_starts_from_the_pretrained_head_and_transfers(data):
    X, y, X_test, y_test = data
    clf = ResNetClassifier(**TINY, max_epochs=3)
    ft = FineTunedClassifier(
        clf,
        sampler=JitterSampler(),
        n_pretrain=1000,
        pretrain_epochs=3,
        finetune_epochs=0,
        head="keep",
        random_state=0,
    ).fit(X, y)
    # no fine-tuning epoch: the fine-tuned net is the pretrained one, head included
    for key, value in _state(ft.pretrained_).items():
        assert torch.equal(ft.estimator_.module_.state_dict()[key], value), key
    np.testing.assert_array_equal(
        ft.predict_proba(X_test), ft.pretrained_.predict_proba(X_test)
    )
    # trained on balanced synthetic beats only, it already recognises real beats
    # of every class far above chance (1/5)
    recall = balanced_accuracy_score(y_test, ft.predict(X_test))
    assert recall > 0.4, recall
    # the draw was balanced over the five classes
    assert np.bincount(ft.sampler_.requested_).tolist() == [200] * 5


def test_cross_task_replaces_the_head(data):
    X, y, X_test, y_test = data
    binary = np.where(y == 0, "normal", "abnormal")  # 5 AAMI classes -> 2 classes
    clf = ResNetClassifier(**TINY, max_epochs=2, random_state=0)
    ft = FineTunedClassifier(
        clf, pretrain_epochs=2, finetune_epochs=2, freeze=("stem",), random_state=0
    ).fit(X[300:], binary[300:], X_pretrain=X[:300], y_pretrain=y[:300])
    assert ft.pretrain_classes_.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(ft.classes_, ["abnormal", "normal"])
    assert ft.pretrained_.module_.head.out_features == 5
    assert ft.estimator_.module_.head.out_features == 2
    assert ft.sampler_ is None and ft.sample_time_ == 0
    torch.testing.assert_close(
        ft.estimator_.module_.stem.weight, ft.pretrained_.module_.stem.weight
    )
    pred = ft.predict(X_test)
    assert set(pred) <= {"normal", "abnormal"}
    assert ft.predict_proba(X_test).shape == (len(X_test), 2)
    with pytest.raises(ValueError, match="head='keep' needs the same classes"):
        clone(ft).set_params(head="keep").fit(
            X[300:], binary[300:], X_pretrain=X[:300], y_pretrain=y[:300]
        )


def test_sampler_is_refit_on_each_training_fold(data):
    X, y, _, _ = data
    sampler = JitterSampler()
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY, max_epochs=1),
        sampler=sampler,
        n_pretrain=200,
        pretrain_epochs=1,
        finetune_epochs=1,
        random_state=0,
    )
    result = cross_validate(ft, X[:300], y[:300], cv=3, return_estimator=True)
    assert [est.sampler_.n_fit_samples_ for est in result["estimator"]] == [200] * 3
    assert not hasattr(sampler, "X_")  # the given sampler is never fitted
    assert np.all(np.isfinite(result["test_score"]))


def test_grid_search_over_finetuning_parameters(data):
    X, y, _, _ = data
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY, max_epochs=1),
        sampler=JitterSampler(),
        n_pretrain=200,
        pretrain_epochs=1,
        finetune_epochs=1,
        random_state=0,
    )
    grid = GridSearchCV(
        ft, {"finetune_lr": [1e-3, 1e-2], "classifier__module__n_blocks": [1]}, cv=2
    ).fit(X[:200], y[:200])
    assert len(grid.cv_results_["params"]) == 2
    best = grid.best_estimator_
    assert best.estimator_.lr == grid.best_params_["finetune_lr"]
    assert best.estimator_.max_epochs == 1 and best.pretrained_.max_epochs == 1


def test_same_seed_same_model_and_warm_start_reuses_pretraining(data):
    X, y, X_test, _ = data
    kwargs = {
        "sampler": JitterSampler(),
        "n_pretrain": 200,
        "pretrain_epochs": 1,
        "finetune_epochs": 1,
        "random_state": 3,
    }
    clf = ResNetClassifier(**TINY, max_epochs=1)
    a = FineTunedClassifier(clf, **kwargs).fit(X, y)
    b = FineTunedClassifier(clf, **kwargs).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))

    warm = FineTunedClassifier(clf, **kwargs, warm_start=True).fit(X, y)
    pretrained = warm.pretrained_
    n_fits = len(JitterSampler.fit_sizes)
    warm.fit(X[:300], y[:300])
    assert warm.pretrained_ is pretrained and warm.pretrain_time_ == 0
    assert len(JitterSampler.fit_sizes) == n_fits  # the sampler was not refit


def test_bad_freeze_fails_before_pretraining(data):
    X, y, _, _ = data
    n_fits = len(JitterSampler.fit_sizes)
    ft = FineTunedClassifier(
        ResNetClassifier(**TINY), sampler=JitterSampler(), freeze=("encoder",)
    )
    with pytest.raises(
        ValueError, match=r"'encoder'.*\['blocks', 'dense', 'head', 'stem'\]"
    ):
        ft.fit(X, y)
    assert len(JitterSampler.fit_sizes) == n_fits
    with pytest.raises(ValueError, match="random, frozen output layer"):
        ft.set_params(freeze=("head",)).fit(X, y)


def test_bad_pretraining_inputs(data):
    X, y, _, _ = data
    clf = ResNetClassifier(**TINY, max_epochs=1)
    with pytest.raises(ValueError, match="Nothing to pretrain on"):
        FineTunedClassifier(clf).fit(X, y)
    with pytest.raises(ValueError, match="either a sampler or X_pretrain"):
        FineTunedClassifier(clf, sampler=JitterSampler()).fit(
            X, y, X_pretrain=X, y_pretrain=y
        )
    with pytest.raises(ValueError, match="without y_pretrain"):
        FineTunedClassifier(clf).fit(X, y, X_pretrain=X)
    with pytest.raises(ValueError, match="1 class"):
        FineTunedClassifier(clf, sampler=JitterSampler()).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="160 features but X has 187"):
        FineTunedClassifier(clf, pretrain_epochs=1).fit(
            X, y, X_pretrain=X[:, :160], y_pretrain=y
        )
    with pytest.raises(ValueError, match="head"):
        FineTunedClassifier(clf, head="replace").fit(X, y, X_pretrain=X, y_pretrain=y)


def test_empty_list_and_dataframe_inputs(data):
    X, y, X_test, _ = data
    clf = ResNetClassifier(**TINY, max_epochs=1, random_state=0)
    ft = FineTunedClassifier(clf, pretrain_epochs=1, finetune_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="0 sample"):
        ft.fit(X[:0], y[:0], X_pretrain=X, y_pretrain=y)
    # lists and DataFrames are beats too, and give the numpy result
    expected = ft.fit(X[:200], y[:200], X_pretrain=X[200:], y_pretrain=y[200:])
    expected = expected.predict_proba(X_test[:20])
    assert not hasattr(ft, "feature_names_in_")
    ft.fit(X[:200].tolist(), y[:200].tolist(), X_pretrain=X[200:], y_pretrain=y[200:])
    np.testing.assert_array_equal(ft.predict_proba(X_test[:20].tolist()), expected)
    columns = [f"t{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X[:200], columns=columns)
    ft.fit(frame, pd.Series(y[:200]), X_pretrain=X[200:], y_pretrain=y[200:])
    np.testing.assert_array_equal(ft.feature_names_in_, columns)
    test_frame = pd.DataFrame(X_test[:20], columns=columns)
    np.testing.assert_array_equal(ft.predict_proba(test_frame), expected)
    with pytest.raises(ValueError, match="feature names"):
        ft.predict(test_frame[columns[::-1]])
    # 3-D beats: (n, n_leads, n_timesteps)
    ft.fit(X[:200, None], y[:200], X_pretrain=X[200:], y_pretrain=y[200:])
    assert ft.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(ft.predict_proba(X_test[:20, None]), expected)
    with pytest.raises(ValueError, match="mixes string and numeric"):
        ft.fit(X, y, X_pretrain=X, y_pretrain=[1, "a"] * (len(y) // 2))


def test_compiled_classifier_freezes_and_swaps_the_head(data):
    # skorch's compile=True wraps the module: its parameters are named
    # "_orig_mod.stem.weight"...; freeze and the head swap still use the
    # network's own names. The eager backend keeps the test fast on CPUs.
    X, y, _, _ = data
    binary = np.where(y == 0, "normal", "abnormal")
    clf = ResNetClassifier(
        **TINY, max_epochs=1, random_state=0, compile=True, compile__backend="eager"
    )
    ft = FineTunedClassifier(
        clf, pretrain_epochs=1, finetune_epochs=1, freeze=("stem",), random_state=0
    ).fit(X[300:], binary[300:], X_pretrain=X[:300], y_pretrain=y[:300])
    pre = ft.pretrained_.module_._orig_mod
    tuned = ft.estimator_.module_._orig_mod
    assert pre.head.out_features == 5 and tuned.head.out_features == 2
    assert torch.equal(tuned.stem.weight, pre.stem.weight)  # frozen
    assert not torch.equal(tuned.dense[0].weight, pre.dense[0].weight)  # trained
    assert set(ft.predict(X[:20])) <= {"normal", "abnormal"}
