"""One set of checks that every generative sampler of ecgaug must pass.

Each sampler in ``ecgaug.generators.__all__`` is built with its small, fast
settings from ``tests/_fast_params.py`` and run through imbalanced-learn's
sampler checks, scikit-learn's API checks and ecgaug's own contract: clone,
pickle, save/load, determinism, dtype, ``sampling_strategy`` counts, pipelines
with grouped cross-validation, clear errors on bad input, and label adherence.
Meta-samplers that wrap one (``WithTabular``) run through the checks that do
not concern training itself.
"""

from __future__ import annotations

import pickle
import warnings
from collections import Counter

import numpy as np
import pytest
import sklearn.utils.estimator_checks as skchecks
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

import ecgaug.generators as generators
from ecgaug.base import BaseGenerativeSampler
from ecgaug.callbacks import Checkpoint
from tests._fast_params import ADHERENCE_PARAMS, FAST_PARAMS

SAMPLER_CLASSES = [
    getattr(generators, name)
    for name in generators.__all__
    if isinstance(getattr(generators, name), type)
    and issubclass(getattr(generators, name), BaseGenerativeSampler)
]


def _fast(cls, **extra):
    return cls(**{**FAST_PARAMS[cls.__name__], "random_state": 0, **extra})


SAMPLERS = [_fast(cls) for cls in SAMPLER_CLASSES if cls.__name__ in FAST_PARAMS]
ids = [type(s).__name__ for s in SAMPLERS]
#: Meta-samplers that wrap a generative sampler: they pass the API checks,
#: the sampler contract and pipelines; training options are the wrapped one's.
WRAPPERS = [
    generators.WithTabular(_fast(generators.CGANSampler), n_tabular=1, random_state=0)
]
wrapper_ids = [type(s).__name__ for s in WRAPPERS]
ALL, all_ids = SAMPLERS + WRAPPERS, ids + wrapper_ids

EXPECTED_FAILED = {
    "check_samplers_pandas_sparse": (
        "beats are dense signals: sparse X is rejected with a TypeError that "
        "asks for .toarray()"
    ),
}

SKLEARN_API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_dont_overwrite_parameters",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_estimators_overwrite_params",
    "check_estimators_dtypes",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_fit1d",
    "check_estimators_empty_data_messages",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_param_validation",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_fit_returns_self",
    "check_complex_data",
    "check_dtype_object",
]


def test_generators_are_registered():
    assert SAMPLER_CLASSES, "ecgaug.generators exports no sampler"


@pytest.mark.parametrize("cls", SAMPLER_CLASSES, ids=lambda c: c.__name__)
def test_every_sampler_has_fast_params(cls):
    assert cls.__name__ in FAST_PARAMS, f"add {cls.__name__} to tests/_fast_params.py"
    assert cls.__name__ in ADHERENCE_PARAMS, (
        f"add {cls.__name__} to ADHERENCE_PARAMS in tests/_fast_params.py"
    )


@parametrize_with_checks(ALL, expected_failed_checks=lambda e: EXPECTED_FAILED)
def test_imblearn_checks(estimator, check, one_thread):
    check(estimator)


@pytest.mark.parametrize("sampler", ALL, ids=all_ids)
@pytest.mark.parametrize("check_name", SKLEARN_API_CHECKS)
def test_sklearn_api_checks(sampler, check_name):
    getattr(skchecks, check_name)(type(sampler).__name__, clone(sampler))


# --------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def small(bundled_sample):
    """~300 real beats of three classes of the bundled sample, imbalanced."""
    X, y = bundled_sample.data, bundled_sample.target
    rng = np.random.RandomState(0)
    keep = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), n, replace=False)
            for c, n in [(0, 180), (2, 80), (3, 40)]
        ]
    )
    return X[keep], y[keep], np.asarray(bundled_sample.groups)[keep]


@pytest.mark.parametrize("sampler", ALL, ids=all_ids)
def test_same_seed_same_samples_and_dtype_kept(sampler, small, one_thread):
    X, y, _ = small
    a = clone(sampler).fit(X, y)
    b = clone(sampler).fit(X, y)
    Xa, ya = a.sample(40, y=3)
    Xb, yb = b.sample(40, y=3)
    assert Xa.dtype == np.float32 and Xa.shape == (40, X.shape[1])
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, np.full(40, 3))
    assert np.isfinite(Xa).all()
    assert Xa.min() >= X.min() and Xa.max() <= X.max()
    # another seed gives another draw; float64 in gives float64 out
    assert not np.array_equal(Xa, a.sample(40, y=3, random_state=1)[0])
    X64 = clone(sampler).fit(X.astype(np.float64), y).sample(5)[0]
    assert X64.dtype == np.float64


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_pickle_and_save_load_give_identical_samples(sampler, small, tmp_path):
    X, y, _ = small
    fitted = clone(sampler).fit(X, y)
    expected, _ = fitted.sample(30, random_state=3)
    unpickled = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(unpickled.sample(30, random_state=3)[0], expected)
    fitted.save(tmp_path / "sampler.pt")
    loaded = type(sampler).load(tmp_path / "sampler.pt")
    np.testing.assert_array_equal(loaded.sample(30, random_state=3)[0], expected)
    assert loaded.get_params() == fitted.get_params()
    # the base class dispatches to the saved class
    assert type(BaseGenerativeSampler.load(tmp_path / "sampler.pt")) is type(sampler)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_sample_batches_do_not_change_the_beats(sampler, small):
    X, y, _ = small
    fitted = clone(sampler).fit(X, y)
    labels = np.repeat([0, 2, 3], 7)
    whole, _ = fitted.sample(21, y=labels, batch_size=64)
    chunks = [xb for xb, _ in fitted.iter_sample(21, y=labels, batch_size=5)]
    assert [len(c) for c in chunks] == [5, 5, 5, 5, 1]
    np.testing.assert_allclose(np.vstack(chunks), whole, atol=1e-5)


@pytest.mark.parametrize(
    "strategy",
    ["auto", "minority", "not majority", "not minority", "all", {2: 150, 3: 90}],
)
@pytest.mark.parametrize("sampler", ALL, ids=all_ids)
def test_fit_resample_counts_follow_sampling_strategy(sampler, strategy, small):
    X, y, _ = small
    before = Counter(y.tolist())
    expected = {
        "auto": {0: 180, 2: 180, 3: 180},
        "minority": {0: 180, 2: 80, 3: 180},
        "not majority": {0: 180, 2: 180, 3: 180},
        "not minority": {0: 180, 2: 180, 3: 40},
        "all": {0: 180, 2: 180, 3: 180},
    }.get(strategy if isinstance(strategy, str) else None, {**before, 2: 150, 3: 90})
    Xr, yr = clone(sampler).set_params(sampling_strategy=strategy).fit_resample(X, y)
    assert dict(Counter(yr.tolist())) == expected
    np.testing.assert_array_equal(Xr[: len(X)], X)
    assert Xr.dtype == X.dtype


@pytest.mark.parametrize("sampler", ALL, ids=all_ids)
def test_fit_resample_callable_and_float_strategies(sampler, small):
    X, y, _ = small
    binary = np.isin(y, [0, 3])
    Xb, yb = X[binary], y[binary]
    _, yr = clone(sampler).set_params(sampling_strategy=0.5).fit_resample(Xb, yb)
    assert Counter(yr.tolist()) == {0: 180, 3: 90}
    _, yr = (
        clone(sampler)
        .set_params(sampling_strategy=lambda t: {3: int((t == 3).sum()) + 7})
        .fit_resample(X, y)
    )
    assert Counter(yr.tolist())[3] == 47


@pytest.mark.parametrize("sampler", ALL, ids=all_ids)
def test_in_pipeline_with_grid_search_and_group_kfold(sampler, small):
    X, y, groups = small
    pipe = make_pipeline(clone(sampler), LogisticRegression(max_iter=200))
    name = type(sampler).__name__.lower()
    grid = GridSearchCV(
        pipe,
        {
            f"{name}__sampling_strategy": ["auto", "minority"],
            "logisticregression__C": [0.1, 1.0],
        },
        cv=GroupKFold(n_splits=2),
        scoring="balanced_accuracy",
        error_score="raise",
    )
    grid.fit(X, y, groups=groups)
    assert grid.best_score_ > 1 / 3
    assert grid.predict(X[:5]).shape == (5,)


@pytest.mark.parametrize("sampler", ALL, ids=all_ids)
def test_string_labels(sampler, small):
    X, y, _ = small
    names = np.array(["N", "S", "V", "F", "Q"])[y]
    fitted = clone(sampler).fit(X, names)
    assert fitted.classes_.tolist() == ["F", "N", "V"]
    Xs, ys = fitted.sample(6, y="F")
    assert ys.tolist() == ["F"] * 6


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_warm_start_continues_and_checkpoints(sampler, small, tmp_path):
    X, y, _ = small
    est = clone(sampler).set_params(callbacks=[Checkpoint(tmp_path / "ckpt.pt")])
    # a checkpoint cannot keep the callbacks themselves, and says so
    with pytest.warns(UserWarning, match=r"save\(\) does not keep \['callbacks'\]"):
        est.fit(X, y)
    n_epochs = est.n_epochs_
    assert (tmp_path / "ckpt.pt").exists()
    resumed = type(sampler).load(tmp_path / "ckpt.pt")
    resumed.set_params(warm_start=True).fit(X, y)
    assert resumed.n_epochs_ == 2 * n_epochs
    with pytest.raises(ValueError, match="features"):
        resumed.fit(X[:, :-3], y)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_bad_input_gets_clear_errors(sampler, small):
    X, y, _ = small
    fitted = clone(sampler).fit(X, y)
    with pytest.raises(ValueError, match=r"Unknown class label.*\[1\]"):
        fitted.sample(3, y=1)
    with pytest.raises(ValueError, match="n_samples labels"):
        fitted.sample(3, y=[0, 2])
    X_nan = X.copy()
    X_nan[5, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clone(sampler).fit(X_nan, y)
    y_tiny = y.copy()
    y_tiny[0] = 4  # class 4 now has a single beat
    with pytest.raises(ValueError, match="fewer than"):
        clone(sampler).fit(X, y_tiny)
    with pytest.raises(ValueError, match="not present"):
        clone(sampler).set_params(sampling_strategy={1: 50}).fit_resample(X, y)
    with pytest.raises(ValueError, match="multiple of"):
        clone(sampler).set_params(n_leads=2).fit(X, y)
    with pytest.raises(ValueError, match="more than 1 class|single class"):
        clone(sampler).fit(X, np.zeros_like(y))


# --------------------------------------------------------- label adherence
@pytest.fixture(scope="module")
def real_classifier(bundled_sample):
    """A classifier trained on the real bundled sample: the judge of adherence."""
    clf = HistGradientBoostingClassifier(max_iter=150, random_state=0)
    return clf.fit(bundled_sample.data, bundled_sample.target)


@pytest.mark.parametrize("cls", SAMPLER_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.slow
def test_label_adherence(cls, bundled_sample, real_classifier):
    """Beats generated for class c are classified as c far above chance.

    The judge is trained on real beats only. For each class c, the rate at
    which beats generated for c are labelled c must be at least 0.15 and at
    least twice the rate at which beats generated for the other classes are
    labelled c (what an unconditional generator would score); the mean rate
    over the classes must reach 0.6 (chance: 0.2). For scale, the judge
    recognises held-out real beats of the sample at about N .81, S .47,
    V .72, F .77, Q .88 (5-fold cross-validation).
    """
    X, y = bundled_sample.data, bundled_sample.target
    params = {"random_state": 0, **ADHERENCE_PARAMS[cls.__name__]}
    sampler = cls(**params).fit(X, y)
    Xs, ys = sampler.sample(500, y=np.repeat(np.arange(5), 100))
    pred = real_classifier.predict(Xs)
    rate = {c: float(np.mean(pred[ys == c] == c)) for c in range(5)}
    chance = {c: float(np.mean(pred[ys != c] == c)) for c in range(5)}
    print(f"{cls.__name__} label adherence {rate}, chance {chance}")
    assert np.mean(list(rate.values())) >= 0.6, rate
    for c in range(5):
        assert rate[c] >= max(0.15, 2 * chance[c]), (c, rate, chance)


# ------------------------------------------- class mix and filtered sampling
@pytest.fixture
def fast_judge(monkeypatch):
    """The automatic judge trained in 60 steps instead of its default."""
    import ecgaug._judge

    monkeypatch.setattr(ecgaug._judge, "JUDGE_STEPS", 60)


def _record_steps(est):
    """Make ``est`` record the labels of every training batch."""
    seen = []
    step = est._train_step

    def recording(x, y):
        seen.append(y.cpu().numpy())
        return step(x, y)

    est._train_step = recording
    return seen


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_batch_class_power_sets_the_mix_not_the_steps(sampler, small, one_thread):
    X, y, _ = small  # 180 / 80 / 40 beats of classes 0, 2, 3
    shares = {}
    for power in (1.0, "balanced"):
        est = clone(sampler).set_params(batch_class_power=power, n_epochs=1)
        seen = _record_steps(est)
        est.fit(X, y)
        assert len(seen) == len(X) // 64  # an epoch is n // batch_size steps
        codes = np.concatenate(seen)
        shares[power] = np.bincount(codes, minlength=3) / len(codes)
        by_class = est.history_[-1]["loss_by_class"]
        assert list(by_class) == [0, 2, 3]
        assert all(np.isfinite(v) for v in by_class.values())
    assert shares[1.0][2] < 0.2  # the data's 13 %
    assert shares["balanced"][2] > 0.25  # a third, give or take
    with pytest.raises(ValueError, match="batch_class_power"):
        clone(sampler).set_params(batch_class_power=1.5).fit(X, y)


class _ParityJudge:
    """A fake judge: a beat is class ``classes_[k]`` for k = a hash of its values."""

    def __init__(self, classes, never=None):
        self.classes_ = np.asarray(classes)
        self.never = never

    def predict_proba(self, X):
        k = (np.abs(X[:, :20]).sum(axis=1) * 1e3).astype(np.int64) % len(self.classes_)
        proba = np.full((len(X), len(self.classes_)), 0.1 / (len(self.classes_) - 1))
        proba[np.arange(len(X)), k] = 0.9
        if self.never is not None:
            proba[:, list(self.classes_).index(self.never)] = 0.0
        return proba


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_filtered_sampling_keeps_only_what_the_judge_accepts(sampler, small):
    X, y, _ = small
    judge = _ParityJudge([0, 2, 3])
    est = clone(sampler).set_params(filter_threshold=0.5, judge=judge).fit(X, y)
    labels = np.repeat([0, 2, 3], 10)
    Xs, ys = est.sample(30, y=labels)
    np.testing.assert_array_equal(ys, labels)
    assert Xs.shape == (30, X.shape[1]) and Xs.dtype == X.dtype
    judged = judge.classes_[judge.predict_proba(Xs).argmax(axis=1)]
    np.testing.assert_array_equal(judged, labels)
    assert set(est.acceptance_rate_) == {0, 2, 3}
    assert all(0.1 < r < 0.7 for r in est.acceptance_rate_.values())
    np.testing.assert_array_equal(est.sample(30, y=labels)[0], Xs)  # deterministic
    # a class the judge never accepts: counts still met, with a warning
    est.set_params(judge=_ParityJudge([0, 2, 3], never=3), filter_max_tries=3)
    with pytest.warns(UserWarning, match=r"class 3 \(0\.0%\).*filter_max_tries=3"):
        _, ys = est.sample(30, y=labels)
    np.testing.assert_array_equal(ys, labels)
    assert est.acceptance_rate_[3] == 0.0
    # a judge that does not know a class, or is not fitted
    with pytest.raises(ValueError, match=r"not \[3\]"):
        est.set_params(judge=_ParityJudge([0, 2])).sample(3)
    with pytest.raises(ValueError, match="FrozenEstimator"):
        est.set_params(judge=LogisticRegression()).sample(3)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_auto_judge_is_fitted_on_fit_data_and_saved(
    sampler, small, tmp_path, fast_judge
):
    X, y, _ = small
    est = clone(sampler).set_params(filter_threshold=0.3).fit(X, y)
    assert est.judge_.n_classes == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # low acceptance: tiny model
        expected, _ = est.sample(12, y=np.repeat([0, 2, 3], 4), random_state=5)
        est.save(tmp_path / "f.pt")
        loaded = type(sampler).load(tmp_path / "f.pt")
        again, _ = loaded.sample(12, y=np.repeat([0, 2, 3], 4), random_state=5)
    np.testing.assert_array_equal(again, expected)
    assert loaded.get_params() == est.get_params()
    # the same generator with and without the judge: filtering does not touch
    # the generator's training
    plain = clone(sampler).fit(X, y)
    assert not hasattr(plain, "judge_")
    np.testing.assert_array_equal(
        plain.sample(5, random_state=1)[0],
        est.set_params(filter_threshold=None).sample(5, random_state=1)[0],
    )
    # filter switched on after a fit without a judge: a clear error
    with pytest.raises(ValueError, match="none was trained"):
        plain.set_params(filter_threshold=0.5).sample(3)
    # a user's judge is not saved: a warning at save, an error naming the fix
    user = clone(sampler).set_params(
        filter_threshold=0.5, judge=_ParityJudge([0, 2, 3])
    )
    user.fit(X, y)
    with pytest.warns(UserWarning, match="judge"):
        user.save(tmp_path / "u.pt")
    with pytest.raises(ValueError, match="pass a fitted classifier as judge"):
        type(sampler).load(tmp_path / "u.pt").sample(3)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_new_options_in_pipeline_grid_search(sampler, small, fast_judge):
    from sklearn.frozen import FrozenEstimator

    X, y, groups = small
    name = type(sampler).__name__.lower()
    pipe = make_pipeline(
        clone(sampler).set_params(judge="auto"), LogisticRegression(max_iter=200)
    )
    grid = GridSearchCV(
        pipe,
        {
            f"{name}__batch_class_power": [1.0, "balanced"],
            f"{name}__filter_threshold": [None, 0.2],
        },
        cv=GroupKFold(n_splits=2),
        scoring="balanced_accuracy",
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grid.fit(X, y, groups=groups)
    assert grid.best_score_ > 1 / 3
    # a user's fitted judge survives clone() when frozen
    real_judge = FrozenEstimator(LogisticRegression(max_iter=300).fit(X, y))
    pipe = make_pipeline(
        clone(sampler).set_params(filter_threshold=0.2, judge=real_judge),
        LogisticRegression(max_iter=200),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clone(pipe).fit(X, y)
