"""ResNetClassifier: scikit-learn compatibility, learning, determinism, errors."""

from __future__ import annotations

import math
import pickle
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

from ecgaug.classifiers import ResNet1D, ResNetClassifier
from ecgaug.datasets import load_sample

# Small and fast: one residual block of 4 filters, 10 epochs on sklearn's
# toy data sets (2-20 "time steps").
CHECK_PARAMS = {
    "module__n_blocks": 1,
    "module__n_filters": 4,
    "module__n_dense": 8,
    "max_epochs": 10,
    "lr": 0.01,
    "batch_size": 32,
    "random_state": 0,
}
EXPECTED_FAILED_CHECKS = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and "
        "virtual_params_ and stores double-underscore parameters such as "
        "module__n_blocks as attributes, by design of skorch."
    ),
}

TINY = {"module__n_blocks": 1, "module__n_filters": 8, "module__n_dense": 16}


# Small networks run fastest on one thread (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread_module")


@pytest.fixture(scope="module")
def sample_split():
    X_train, y_train = load_sample(split="train", return_X_y=True)
    X_test, y_test = load_sample(split="test", return_X_y=True)
    return X_train, y_train, X_test, y_test


@pytest.fixture(scope="module")
def small(sample_split):
    """300 real training beats of all five classes, and 100 test beats."""
    X_train, y_train, X_test, y_test = sample_split
    rng = np.random.default_rng(0)
    idx = rng.choice(len(y_train), 300, replace=False)
    return X_train[idx], y_train[idx], X_test[:100], y_test[:100]


@parametrize_with_checks(
    [ResNetClassifier(**CHECK_PARAMS)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_learns_the_bundled_sample(sample_split):
    X_train, y_train, X_test, y_test = sample_split
    # batch 32: enough steps that most seeds learn (0.83-0.84 for seeds 0-2)
    clf = ResNetClassifier(**TINY, max_epochs=5, lr=3e-3, batch_size=32, random_state=0)
    clf.fit(X_train, y_train)
    majority = np.bincount(y_test).max() / len(y_test)
    accuracy = clf.score(X_test, y_test)
    assert majority < 0.65
    assert accuracy > majority + 0.12, (accuracy, majority)


def test_no_argument_defaults(small):
    X, y, X_test, _ = small
    clf = ResNetClassifier()
    params = clf.get_params()
    assert params["module"] is ResNet1D
    assert params["device"] == "auto" and params["train_split"] == 0.1
    assert params["verbose"] == 0 and params["random_state"] is None
    clf.set_params(max_epochs=1).fit(X[:100], y[:100])
    assert len(clf.module_.blocks) == 5  # Kachuee's network
    assert clf.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    assert clf.get_params()["device"] == "auto"
    assert clf.predict_proba(X_test).shape == (len(X_test), 5)


def test_train_split_holds_out_a_stratified_tenth(small):
    X, y, _, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=1, random_state=0).fit(X, y)
    batches = clf.history_[-1, "batches"]
    n_train = sum(b["train_batch_size"] for b in batches if "train_batch_size" in b)
    n_valid = sum(b["valid_batch_size"] for b in batches if "valid_batch_size" in b)
    assert n_valid == math.ceil(0.1 * len(y)) and n_train + n_valid == len(y)
    assert "valid_acc" in clf.history_[-1]
    no_split = ResNetClassifier(**TINY, max_epochs=1, train_split=None).fit(X, y)
    assert "valid_loss" not in no_split.history_[-1]


def test_same_seed_same_predictions_and_global_rng_untouched(small):
    X, y, X_test, _ = small
    state = torch.get_rng_state()
    fitted = [
        ResNetClassifier(**TINY, max_epochs=2, random_state=seed).fit(X, y)
        for seed in (7, 7, 8)
    ]
    assert torch.equal(torch.get_rng_state(), state)  # fit forks the torch RNG
    proba = [clf.predict_proba(X_test) for clf in fitted]
    np.testing.assert_array_equal(proba[0], proba[1])
    assert not np.array_equal(proba[0], proba[2])
    assert proba[0].dtype == np.float32


def test_string_labels_and_input_types(small):
    X, y, X_test, _ = small
    names = np.array(["N", "S", "V", "F", "Q"])
    clf = ResNetClassifier(**TINY, max_epochs=2, random_state=0)
    clf.fit(X.astype(np.float64), names[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(names))
    pred = clf.predict(X_test)
    assert pred.dtype.kind == "U" and set(pred) <= set(names)
    # 3-D (n, n_leads, T) input is the same beats
    np.testing.assert_array_equal(pred, clf.predict(X_test[:, None, :]))
    np.testing.assert_array_equal(pred, clf.predict(X_test.tolist()))


def test_read_only_input_raises_no_warning(small):
    # memory-mapped caches are read-only; torch warns on wrapping them
    import warnings

    X, y, X_test, _ = small
    X, X_test = X.copy(), X_test.copy()
    X.setflags(write=False)
    X_test.setflags(write=False)
    clf = ResNetClassifier(**TINY, max_epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.fit(X, y).predict(X_test)
    assert not X.flags.writeable  # the caller's array is left as it was


def test_classes_parameter_keeps_absent_classes(small):
    X, y, X_test, _ = small
    keep = y < 3
    clf = ResNetClassifier(**TINY, max_epochs=1, classes=[0, 1, 2, 3, 4])
    clf.fit(X[keep], y[keep])
    assert clf.predict_proba(X_test).shape == (len(X_test), 5)
    assert clf.module_.head.out_features == 5


def test_clone_pickle_and_set_params(small):
    X, y, X_test, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=2, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        clf.predict_proba(X_test), restored.predict_proba(X_test)
    )
    assert restored.get_params()["device"] == "auto"

    fresh = clone(clf)
    assert not hasattr(fresh, "module_")
    assert fresh.get_params()["module__n_blocks"] == 1

    clf.set_params(module__n_blocks=2)  # re-initialises the fitted module
    assert len(clf.module_.blocks) == 2
    clf.fit(X, y)
    assert len(clf.module_.blocks) == 2
    assert clf.predict(X_test).shape == (len(X_test),)


def test_grid_search_in_a_pipeline(small):
    X, y, _, _ = small
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "clf",
                ResNetClassifier(
                    **TINY, max_epochs=1, train_split=None, random_state=0
                ),
            ),
        ]
    )
    grid = GridSearchCV(
        pipe,
        {"clf__module__n_blocks": [0, 1], "clf__optimizer__weight_decay": [0.0, 1e-4]},
        cv=2,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_params_["clf__module__n_blocks"] in (0, 1)
    assert (
        len(grid.best_estimator_[-1].module_.blocks)
        == grid.best_params_["clf__module__n_blocks"]
    )


def test_early_stopping_stops_and_is_configurable(small):
    X, y, _, _ = small
    # lr=0: the validation loss never improves, so patience 2 stops at epoch 3
    clf = ResNetClassifier(**TINY, max_epochs=20, lr=0.0, early_stopping=2)
    clf.fit(X, y)
    assert len(clf.history_) == 3
    clf.set_params(callbacks__early_stopping__patience=1).fit(X, y)
    assert len(clf.history_) == 2
    assert dict(clf.callbacks_)["early_stopping"].load_best


def test_balanced_class_weight(small):
    X, y, _, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=1, class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    expected = len(y) / (5 * counts)
    np.testing.assert_allclose(clf.class_weight_, expected)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), expected, rtol=1e-6)
    assert ResNetClassifier(**TINY, max_epochs=1).fit(X, y).criterion_.weight is None


def test_verbose_controls_the_table(small, capsys):
    X, y, _, _ = small
    ResNetClassifier(**TINY, max_epochs=1).fit(X, y)
    assert capsys.readouterr().out == ""
    ResNetClassifier(**TINY, max_epochs=1, verbose=1).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


def test_amp_is_ignored_on_cpu(small):
    X, y, X_test, _ = small
    kwargs = dict(**TINY, max_epochs=1, random_state=0, device="cpu")
    plain = ResNetClassifier(**kwargs).fit(X, y).predict_proba(X_test)
    mixed = ResNetClassifier(**kwargs, amp=True).fit(X, y).predict_proba(X_test)
    np.testing.assert_array_equal(plain, mixed)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_amp_on_cuda(small, amp):
    X, y, X_test, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=2, amp=amp, random_state=0).fit(X, y)
    assert clf.device_.startswith("cuda")
    assert (clf.grad_scaler_ is not None) == (amp == "fp16")
    proba = clf.predict_proba(X_test)
    assert proba.dtype == np.float32 and np.isfinite(proba).all()


def test_embed_and_partial_fit(small):
    X, y, X_test, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=1, random_state=0).fit(X, y)
    features = clf.embed(X_test)
    assert features.shape == (len(X_test), 16) and features.dtype == np.float32
    expected = clf.module_.embed(torch.as_tensor(X_test)).detach().numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    clf.partial_fit(X, y)
    assert len(clf.history_) == 2
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:5], np.full(5, 9))


def test_bad_input_errors(small):
    X, y, _, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=1)
    X_nan = X.copy()
    X_nan[3, 10] = np.nan
    with pytest.raises(ValueError, match="NaN.*row 3"):
        clf.fit(X_nan, y)
    X_inf = X.copy()
    X_inf[5, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(X_inf, y)
    with pytest.raises(ValueError, match="1 class"):
        clf.fit(X, np.zeros(len(y), dtype=int))
    with pytest.raises(ValueError, match="2 leads.*module__n_leads=1"):
        clf.fit(np.stack([X, X], axis=1), y)

    clf.fit(X, y)
    with pytest.raises(ValueError, match="180 time steps per lead"):
        clf.predict(X[:, :180])
    with pytest.raises(ValueError, match="180 time steps per lead.*fitted on 187"):
        clf.predict(X[:, None, :180])
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(X_nan)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"early_stopping": True, "train_split": None}, "train_split"),
        ({"train_split": 1.5}, r"'train_split'.*range \(0.0, 1.0\)"),
        ({"class_weight": "auto"}, "'class_weight'.*'balanced'"),
        ({"amp": "fp8"}, "'amp'.*fp16"),
        ({"early_stopping": -1}, "'early_stopping'.*bool"),
        ({"max_epochs": 0}, r"'max_epochs'.*range \[1, inf\)"),
        ({"max_epochs": -1}, r"'max_epochs'.*range \[1, inf\)"),
        ({"batch_size": 0}, "'batch_size'"),
        ({"device": "bogus"}, "Unknown device 'bogus'"),
    ],
)
def test_bad_parameters(small, params, match):
    X, y, _, _ = small
    with pytest.raises(ValueError, match=match):
        ResNetClassifier(**TINY, **{"max_epochs": 1, **params}).fit(X, y)


def test_module_sizes_come_from_the_data(small):
    X, y, _, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=1, module__n_classes=3)
    with pytest.raises(ValueError, match="module__n_classes=3 but the data has 5"):
        clf.fit(X, y)
    two_leads = np.hstack([X, X])
    clf = ResNetClassifier(**TINY, max_epochs=1, module__n_leads=2).fit(two_leads, y)
    assert clf.n_timesteps_ == 187 and clf.module_.stem.in_channels == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is visible")
def test_absent_cuda_is_a_clear_error(small):
    X, y, _, _ = small
    with pytest.raises(ValueError, match="device='cuda'.*no CUDA GPU"):
        ResNetClassifier(**TINY, max_epochs=1, device="cuda").fit(X, y)
    clf = ResNetClassifier(**TINY, max_epochs=1, device="cpu").fit(X, y)
    clf.set_params(device="cuda:1")  # set_params never raises (sklearn rule) ...
    with pytest.raises(ValueError, match="no CUDA GPU"):
        clf.predict(X)  # ... the next use does, clearly


@pytest.mark.parametrize("names", [None, np.array(["N", "S", "V", "F", "Q"])])
def test_warm_start_refit_on_other_classes_is_refused(small, names):
    X, y, X_test, _ = small
    label = (lambda v: v) if names is None else (lambda v: names[v])
    clf = ResNetClassifier(**TINY, max_epochs=1, warm_start=True, random_state=0)
    clf.fit(X, label(y))
    expected = clf.predict_proba(X_test)
    keep = y < 3  # three of the five classes
    with pytest.raises(ValueError, match="warm_start=True continues .* classes"):
        clf.fit(X[keep], label(y[keep]))
    # the failed refit left the fitted classifier as it was
    assert len(clf.classes_) == 5 and clf.module_.head.out_features == 5
    np.testing.assert_array_equal(clf.predict_proba(X_test), expected)
    with pytest.raises(ValueError, match="187 features per beat, but X has 180"):
        clf.fit(X[:, :180], label(y))
    # the same classes (a subset when ``classes`` lists them all) continue
    clf.fit(X, label(y))
    assert len(clf.history_) == 2
    clf.set_params(classes=np.unique(label(y[y < 2])))  # not what the head is for
    with pytest.raises(ValueError, match="warm_start=True continues .* classes"):
        clf.fit(X[y < 2], label(y[y < 2]))
    clf.set_params(classes=None)
    full = ResNetClassifier(
        **TINY, max_epochs=1, warm_start=True, classes=np.unique(label(y))
    ).fit(X, label(y))
    full.fit(X[keep], label(y[keep]))
    assert len(full.history_) == 2 and set(full.predict(X_test)) <= set(label(y))


@pytest.mark.parametrize(
    "make",
    [
        lambda y: [1 if v == 0 else "a" for v in y],
        lambda y: np.array([1 if v == 0 else "a" for v in y], dtype=object),
        lambda y: pd.Series([1 if v == 0 else "a" for v in y]),
    ],
    ids=["list", "object-array", "series"],
)
def test_mixed_int_and_string_labels_are_refused(small, make):
    X, y, _, _ = small
    clf = ResNetClassifier(**TINY, max_epochs=1)
    with pytest.raises(ValueError, match="mixes string and numeric labels"):
        clf.fit(X, make(y))
    with pytest.raises(ValueError, match="classes mixes string and numeric"):
        clf.set_params(classes=[0, "a"]).fit(X, y)


def _fit_weights(X, y, seed):
    clf = ResNetClassifier(
        **TINY, module__dropout=0.5, max_epochs=2, batch_size=32, random_state=seed
    )
    clf.fit(X, y)
    return {k: v.clone() for k, v in clf.module_.state_dict().items()}


def test_fits_in_threads_match_serial_fits(small):
    # Each fit draws its weights, shuffling, dropout masks and validation
    # split from its own generators: two fits at once, while a third thread
    # draws from torch's global RNG, give bit-identical networks.
    X, y, _, _ = small
    serial = [_fit_weights(X, y, seed) for seed in (0, 1)]
    results = [None, None]
    done = threading.Event()

    def fit(i):
        results[i] = _fit_weights(X, y, i)

    def draw_from_global_rng():
        while not done.is_set():
            torch.rand(64)

    noise = threading.Thread(target=draw_from_global_rng)
    workers = [threading.Thread(target=fit, args=(i,)) for i in (0, 1)]
    noise.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    noise.join()
    for got, expected in zip(results, serial):
        assert got.keys() == expected.keys()
        for key in expected:
            assert torch.equal(got[key], expected[key]), key
    assert not torch.equal(serial[0]["head.weight"], serial[1]["head.weight"])


class _PlainDropoutNet(nn.Module):
    """A custom module with torch's own dropout (no generator)."""

    def __init__(self, n_timesteps=187, n_classes=5):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_timesteps, 16), nn.ReLU(), nn.Dropout(0.5)
        )
        self.head = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def test_custom_dropout_module_is_still_seeded(small):
    X, y, X_test, _ = small
    state = torch.get_rng_state()
    proba = [
        ResNetClassifier(_PlainDropoutNet, max_epochs=2, random_state=seed)
        .fit(X, y)
        .predict_proba(X_test)
        for seed in (3, 3, 4)
    ]
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(proba[0], proba[1])
    assert not np.array_equal(proba[0], proba[2])
