"""WithTabular: generated beats come with class-conditional tabular (RR) columns."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression

from ecgaug.datasets import RR_FEATURE_NAMES, load_sample
from ecgaug.generators import CGANSampler, WithTabular
from tests._fast_params import FAST_PARAMS

pytestmark = pytest.mark.usefixtures("one_thread_module")

PRE_LOCAL = RR_FEATURE_NAMES.index("pre_local_ratio")


@pytest.fixture(scope="module")
def sample_with_rr():
    s = load_sample()
    return np.hstack([s.data, s.rr]), s.target


@pytest.fixture(scope="module")
def fitted(sample_with_rr):
    X, y = sample_with_rr
    gen = CGANSampler(**FAST_PARAMS["CGANSampler"])
    return WithTabular(gen, n_tabular=8, random_state=0).fit(X, y)


def test_sample_carries_rr_features():
    s = load_sample()
    assert s.rr.shape == (len(s.target), 8) and s.rr.dtype == np.float32
    assert s.rr_names == list(RR_FEATURE_NAMES)
    # S beats come early in their own rhythm, N beats do not
    ratio = s.rr[:, PRE_LOCAL]
    assert np.median(ratio[s.target == 1]) < 0.85 < np.median(ratio[s.target == 0])


def test_generated_s_beats_have_an_s_rhythm(fitted, sample_with_rr):
    X, y = sample_with_rr
    X_new, y_new = fitted.sample(600, y=np.repeat([0, 1], 300), random_state=1)
    assert X_new.shape == (600, X.shape[1]) and X_new.dtype == np.float32
    ratio = X_new[:, 187 + PRE_LOCAL]
    s_med, n_med = np.median(ratio[y_new == 1]), np.median(ratio[y_new == 0])
    real_s = np.median(X[y == 1, 187 + PRE_LOCAL])
    assert s_med < 0.85 < n_med
    assert abs(s_med - real_s) < 0.1
    assert (X_new[:, 187:] > 0).all()  # log model: positive intervals and ratios
    # the waveform part is in the range of the beats, not squashed by the RR part
    assert X_new[:, :187].max() <= 1.0 + 1e-5 and X_new[:, :187].min() >= -1e-5


def test_seeded_draws_and_fit_resample(fitted, sample_with_rr):
    a, _ = fitted.sample(5, y=1, random_state=3)
    b, _ = fitted.sample(5, y=1, random_state=3)
    c, _ = fitted.sample(5, y=1, random_state=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    X, y = sample_with_rr
    pipe = make_pipeline(
        WithTabular(
            CGANSampler(**FAST_PARAMS["CGANSampler"]),
            sampling_strategy={1: 400},
            random_state=0,
        ),
        LogisticRegression(max_iter=50),
    )
    pipe.fit(X, y)
    X_res, y_res = pipe[0].fit_resample(X, y)
    assert np.bincount(y_res)[1] == 400 and X_res.shape[1] == X.shape[1]


def test_bad_layout_raises():
    X = np.random.default_rng(0).random((20, 4)).astype(np.float32)
    y = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match="n_tabular=8"):
        WithTabular(CGANSampler(**FAST_PARAMS["CGANSampler"])).fit(X, y)
