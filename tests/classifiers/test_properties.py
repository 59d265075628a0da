"""Property tests: random inputs thrown at the classifiers (hypothesis).

Shapes (2-D and 3-D), dtypes, label types and counts, and the parameters a
user sets most (epochs, batch size, validation split, class weights, early
stopping, device, learning rate, freezing, head) are drawn at random; whatever
they are, ``ResNetClassifier`` and ``FineTunedClassifier`` must give a correct
result (labels from ``classes_``, which are the labels of ``y`` uncast,
probabilities that sum to one) or raise a ``ValueError`` or ``TypeError`` with
a message: never garbage, never a raw error from inside torch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ecgaug.classifiers import FineTunedClassifier, ResNetClassifier
from tests.test_properties import _assert_clear_error, labels

#: tiny networks and few examples: the module runs in well under a minute
TINY = {
    "module__n_blocks": 1,
    "module__n_filters": 2,
    "module__n_dense": 4,
    "max_epochs": 1,
    "device": "cpu",
}
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

pytestmark = pytest.mark.usefixtures("one_thread_module")


@st.composite
def beats(draw, y):
    """``X`` for labels ``y``: 2-D or 3-D, of a random dtype and width."""
    n_leads = draw(st.integers(1, 2))
    n_timesteps = draw(st.integers(4, 24))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(len(y), n_leads, n_timesteps)) * 3
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64, object]))
    if dtype is np.int64:
        X = np.round(X)
    X = X.astype(dtype)
    if draw(st.integers(0, 9)) == 9 and X.size and dtype is not np.int64:
        X.flat[draw(st.integers(0, X.size - 1))] = np.nan
    shape = draw(st.sampled_from(["2d", "2d", "3d", "list"]))
    if shape != "3d":
        X = X.reshape(len(y), n_leads * n_timesteps)
    if shape == "list":
        X = X.tolist()
    return X, n_leads


@st.composite
def data(draw):
    several = labels().filter(lambda y: len({repr(v) for v in y}) > 1)
    y = draw(st.one_of(several, labels()))  # mostly 2 or 3 classes
    if draw(st.integers(0, 19)) == 19:
        y = []
    if draw(st.booleans()) and len(y):
        y = np.array(y, dtype=object if len({type(v) for v in y}) > 1 else None)
    X, n_leads = draw(beats(y))
    return X, y, n_leads


def _params(draw, valid: dict, invalid: dict) -> dict:
    """Valid values, except (often) one parameter drawn from ``invalid``."""
    broken = draw(st.sampled_from([*[None] * len(invalid), *invalid]))
    return {
        key: draw(st.sampled_from(invalid[key] if key == broken else values))
        for key, values in valid.items()
    }


def _classifier_params(draw, y, n_leads) -> dict:
    classes = sorted(set(np.asarray(y, dtype=object).tolist()), key=repr)
    valid = {
        "max_epochs": [1, 2],
        "batch_size": [128, 2, 3, -1],
        "train_split": [None, None, 0.1, 0.5],
        "class_weight": [None, "balanced", dict.fromkeys(classes[:1], 2.0)],
        "early_stopping": [False, False, True, 1],
        "random_state": [None, 0, 7],
        "lr": [1e-3, 1e-2, 0.0],
        "module__n_leads": [n_leads],
        "device": ["cpu", "auto"],
    }
    invalid = {
        "max_epochs": [0, -1, 1.5],
        "batch_size": [0, -2, 2.5],
        "train_split": [0.0, 1.0, -0.5],
        "class_weight": [{"no such label": 2.0}, "auto"],
        "early_stopping": [0, -1],
        "lr": [-1.0],
        "module__n_leads": [n_leads + 1],
        "device": ["bogus"] + ([] if torch.cuda.is_available() else ["cuda"]),
    }
    params = _params(draw, valid, invalid)
    if params["early_stopping"] and params["train_split"] is None:
        params["early_stopping"] = False  # a clear error, tested elsewhere
    return params


def _check_result(clf, X, y) -> None:
    """Predictions of a fitted classifier are right-shaped labels of ``y``."""
    y = np.asarray(y)
    n = len(y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.classes_.dtype.kind == y.dtype.kind  # int labels stay ints
    proba = clf.predict_proba(X)
    assert proba.shape == (n, len(clf.classes_)) and proba.dtype == np.float32
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)
    pred = clf.predict(X)
    assert pred.shape == (n,) and set(pred.tolist()) <= set(y.tolist())


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args, **kwargs)


@settings(SETTINGS, max_examples=40)
@given(st.data())
def test_resnet_classifier_gives_a_correct_result_or_a_clear_error(data_):
    X, y, n_leads = data_.draw(data())
    params = {**TINY, **_classifier_params(data_.draw, y, n_leads)}
    clf = ResNetClassifier(**params)
    try:
        _fit(clf, X, y)
    except Exception as exc:
        _assert_clear_error(exc)
        return
    event("fitted")
    assert 1 <= len(clf.history_) <= params["max_epochs"]
    _check_result(clf, X, y)


@settings(SETTINGS, max_examples=20)
@given(st.data())
def test_finetuned_classifier_gives_a_correct_result_or_a_clear_error(data_):
    X, y, n_leads = data_.draw(data())
    X_pre, y_pre, _ = data_.draw(data())
    clf = ResNetClassifier(**TINY, module__n_leads=n_leads, train_split=None)
    valid = {
        "pretrain_epochs": [1],
        "finetune_epochs": [1, 0],
        "freeze": [(), ("stem",), ("blocks.0", "dense.0.weight")],
        "head": ["reinit", "reinit", "keep"],
        "random_state": [None, 0],
    }
    invalid = {
        "pretrain_epochs": [0],
        "finetune_epochs": [-1],
        "freeze": [("head",), ("nope",)],
        "head": ["new"],
    }
    ft = FineTunedClassifier(clf, **_params(data_.draw, valid, invalid))
    # mostly the same beats; else another task's (other labels, maybe widths)
    same_beats = data_.draw(st.integers(0, 3)) < 3
    X_pre, y_pre = (X, y) if same_beats else (X_pre, y_pre)
    try:
        _fit(ft, X, y, X_pretrain=X_pre, y_pretrain=y_pre)
    except Exception as exc:
        _assert_clear_error(exc)
        return
    event("fitted")
    _check_result(ft, X, y)
