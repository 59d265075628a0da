"""Property tests: random inputs thrown at every sampler (hypothesis).

Shapes, dtypes, label types and counts, sampling strategies, sample sizes,
requested labels and batch sizes are drawn at random; whatever they are, a
sampler must return a correct result (right shape and dtype, finite beats in
the training range, the requested labels) or raise a ``ValueError`` or
``TypeError`` with a message, raised by ecgaug, scikit-learn or
imbalanced-learn: never garbage, never a raw error from inside torch.
"""

from __future__ import annotations

import traceback
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from tests.test_common import SAMPLERS, ids

#: few examples and tiny models: the whole module runs in well under a minute
FIT_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SAMPLE_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
STRATEGIES = ["auto", "minority", "not minority", "not majority", "all"]


def _assert_clear_error(exc: BaseException) -> None:
    """A ValueError/TypeError with a message, not raised from inside torch."""
    event(f"{type(exc).__name__}: {str(exc)[:40]}")
    assert isinstance(exc, ValueError | TypeError), repr(exc)
    assert str(exc).strip(), f"{type(exc).__name__} without a message"
    innermost = traceback.extract_tb(exc.__traceback__)[-1].filename
    assert "/torch/" not in innermost, f"raw torch error: {exc!r}"


@st.composite
def labels(draw, n_classes_max=3):
    """Labels of one kind (or, rarely, mixed), 1..3 classes of 1..6 beats."""
    kind = draw(st.sampled_from(["int"] * 3 + ["str"] * 3 + ["bool", "float", "mixed"]))
    n_classes = draw(st.sampled_from([1, 2, 2, 3, 3, 3][: 2 * n_classes_max]))
    values = {
        "int": draw(
            st.lists(
                st.integers(-5, 300),
                min_size=n_classes,
                max_size=n_classes,
                unique=True,
            )
        ),
        "str": draw(
            st.lists(
                st.text("NSVFQ", min_size=1, max_size=2),
                min_size=n_classes,
                max_size=n_classes,
                unique=True,
            )
        ),
        "bool": [True, False][:n_classes],
        "float": [0.5, 1.25, 2.0][:n_classes],
        "mixed": [0, "S", 2][:n_classes],
    }[kind]
    sizes = draw(  # mostly enough beats per class to train on
        st.lists(
            st.sampled_from([1, 2, 3, 4, 5, 6, 3, 4, 5]),
            min_size=len(values),
            max_size=len(values),
        )
    )
    y = [v for v, k in zip(values, sizes) for _ in range(k)]
    order = draw(st.permutations(range(len(y))))
    return [y[i] for i in order]


@st.composite
def datasets(draw):
    y = draw(labels())
    n_leads = draw(st.integers(1, 2))
    n_timesteps = draw(st.integers(8, 40))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64, object]))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(len(y), n_leads * n_timesteps)) * 3
    if dtype is np.int64:
        X = np.round(X)
    X = X.astype(dtype)
    if draw(st.booleans()) and len(y):
        y = np.array(y, dtype=object if len({type(v) for v in y}) > 1 else None)
    return X, y, n_leads


def _strategy(draw, y):
    classes = sorted(set(y), key=repr) if len(y) else []
    kind = draw(st.sampled_from(["name", "name", "float", "dict", "callable"]))
    if kind == "name":
        return draw(st.sampled_from(STRATEGIES))
    if kind == "float":
        return draw(st.floats(0.1, 1.0))
    if kind == "dict":
        return {
            c: draw(st.integers(0, 12))
            for c in classes[: draw(st.integers(0, len(classes)))]
        }
    return lambda t: {c: int(np.sum(np.asarray(t) == c)) + 2 for c in set(t)}


@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
@FIT_SETTINGS
@given(data=st.data())
def test_fit_resample_gives_a_correct_result_or_a_clear_error(
    sampler, data, one_thread
):
    X, y, n_leads = data.draw(datasets())
    est = clone(sampler).set_params(
        n_epochs=1, n_leads=n_leads, sampling_strategy=_strategy(data.draw, list(y))
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xr, yr = est.fit_resample(X, y)
    except Exception as exc:
        _assert_clear_error(exc)
        return
    event("resampled")
    n = len(X)
    X_float = np.asarray(X, dtype=np.float64)
    assert Xr.shape[1] == X.shape[1] and len(Xr) == len(yr) >= n
    assert Xr.dtype == (np.float32 if X.dtype == np.float32 else np.float64)
    np.testing.assert_array_equal(Xr[:n], X_float.astype(Xr.dtype))
    assert np.isfinite(Xr).all()
    lo, hi = X_float.min(), X_float.max()
    assert Xr.min() >= lo - 1e-4 * (hi - lo) and Xr.max() <= hi + 1e-4 * (hi - lo)
    added = Counter(np.asarray(yr[n:]).tolist())
    assert added == {
        k: v for k, v in Counter(dict(est.sampling_strategy_)).items() if v
    }
    assert set(added) <= set(np.asarray(y).tolist())


@pytest.fixture(scope="module", params=SAMPLERS, ids=ids)
def fitted(request, bundled_sample, one_thread_module):
    """A sampler fitted one epoch on 60 beats of three classes (0, 2, 3)."""
    X, y = bundled_sample.data, bundled_sample.target
    keep = np.concatenate([np.flatnonzero(y == c)[:20] for c in (0, 2, 3)])
    return clone(request.param).set_params(n_epochs=1).fit(X[keep], y[keep])


_REQUESTS = st.one_of(
    st.none(),
    st.sampled_from([0, 2, 3, 1, -1, 2.5, 2.0, True, np.bool_(False), "2", "N"]),
    st.lists(st.sampled_from([0, 2, 3, 1, 2.5, "0", True]), min_size=0, max_size=6),
)


@SAMPLE_SETTINGS
@given(
    n_samples=st.one_of(
        st.integers(0, 9),
        st.integers(0, 9),
        st.sampled_from([-1, -2, 2.0, True, None, "3"]),
    ),
    y=_REQUESTS,
    batch_size=st.one_of(
        st.none(), st.integers(1, 5), st.sampled_from([-1, 0, 1.5, "4"])
    ),
    random_state=st.one_of(st.none(), st.integers(0, 2**31 - 1)),
)
def test_sample_gives_a_correct_result_or_a_clear_error(
    fitted, n_samples, y, batch_size, random_state
):
    try:
        Xs, ys = fitted.sample(
            n_samples, y=y, batch_size=batch_size, random_state=random_state
        )
    except Exception as exc:
        _assert_clear_error(exc)
        return
    event("sampled")  # only valid requests get here
    assert isinstance(n_samples, int) and not isinstance(n_samples, bool)
    assert n_samples >= 0
    assert batch_size is None or (type(batch_size) is int and batch_size >= 1)
    assert Xs.shape == (n_samples, fitted.n_features_in_)
    assert Xs.dtype == fitted.dtype_ and np.isfinite(Xs).all()
    lo, hi = fitted.data_range_
    assert Xs.min(initial=lo) >= lo and Xs.max(initial=hi) <= hi
    assert ys.dtype == fitted.classes_.dtype and len(ys) == n_samples
    if y is None:
        assert set(ys.tolist()) <= {0, 2, 3}
    else:
        expected = np.broadcast_to(np.asarray(y, dtype=object), (n_samples,))
        assert all(type(v) is int for v in expected.tolist())  # no cast labels
        assert ys.tolist() == expected.tolist()
