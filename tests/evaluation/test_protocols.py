"""evaluate_protocols: the paper's Table 1 protocols on the bundled real sample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score

from ecgaug.evaluation import PROTOCOLS, evaluate_protocols
from ecgaug.evaluation._synthetic import synthetic_labels
from tests.evaluation._toy import GaussianBeatSampler, SpySampler

LOGREG = LogisticRegression(max_iter=300)


def _value(res, protocol, metric, label=None, col="mean"):
    sel = (res["protocol"] == protocol) & (res["metric"] == metric)
    sel &= res["label"].isna() if label is None else res["label"] == label
    assert sel.sum() == 1
    return res.loc[sel, col].item()


@pytest.fixture(scope="module")
def result(split):
    return evaluate_protocols(
        GaussianBeatSampler(), LOGREG, *split, n_repeats=3, random_state=0
    )


def test_trtr_reproduces_a_plain_fit_and_score(split, result):
    X, y, X_test, y_test = split
    plain = clone(LOGREG).fit(X, y)
    assert _value(result, "TRTR", "accuracy") == plain.score(X_test, y_test)
    assert _value(result, "TRTR", "accuracy", col="std") == 0.0
    pred = plain.predict(X_test)
    assert _value(result, "TRTR", "f1_macro") == pytest.approx(
        f1_score(y_test, pred, average="macro")
    )
    for c, r in enumerate(recall_score(y_test, pred, average=None)):
        assert _value(result, "TRTR", "class_recall", label=c) == pytest.approx(r)


def test_trtr_with_a_seeded_forest_and_own_seed(split):
    X, y, X_test, y_test = split
    forest = RandomForestClassifier(n_estimators=20, random_state=3)
    res = evaluate_protocols(
        None, forest, X, y, X_test, y_test, protocols="TRTR", n_repeats=2, reseed=False
    )
    plain = clone(forest).fit(X, y).score(X_test, y_test)
    assert _value(res, "TRTR", "accuracy") == plain


def test_table_layout_and_confidence_intervals(result):
    n_classes = 5
    per_protocol = 4 + n_classes + 1  # scores, class recalls, fit time
    assert len(result) == len(PROTOCOLS) * per_protocol
    assert list(result.columns[:8]) == [
        "protocol", "metric", "label", "mean", "std", "ci_low", "ci_high", "n_repeats"
    ]  # fmt: skip
    assert {"repeat_0", "repeat_1", "repeat_2"} <= set(result.columns)
    reps = result[["repeat_0", "repeat_1", "repeat_2"]].to_numpy()
    np.testing.assert_allclose(result["mean"], reps.mean(axis=1))
    assert (result["ci_low"] <= result["mean"] + 1e-12).all()
    assert (result["ci_high"] >= result["mean"] - 1e-12).all()
    tstr = result[(result.protocol == "TSTR") & (result.metric == "accuracy")]
    assert tstr["ci_high"].item() > tstr["ci_low"].item()  # draws vary by repeat
    labels = result.loc[result.metric == "class_recall", "label"].tolist()
    assert labels == [0, 1, 2, 3, 4] * len(PROTOCOLS)
    assert all(type(v) is int for v in labels)


def test_synthetic_beats_are_easier_than_real_ones(split, result):
    """The paper's finding (TSTS 0.999 vs TSTR 0.551) holds for a simple generator."""
    _, _, _, y_test = split
    majority = np.bincount(y_test).max() / len(y_test)
    tstr = _value(result, "TSTR", "accuracy")
    assert tstr > majority
    assert _value(result, "TSTS", "accuracy") > tstr + 0.1


def test_generator_sees_training_beats_only_and_tsts_draws_twice(split):
    X, y, X_test, y_test = split
    SpySampler.log.clear()
    evaluate_protocols(SpySampler(), LOGREG, X, y, X_test, y_test, n_repeats=2)
    fits = [x for kind, x in SpySampler.log if kind == "fit"]
    seeds = [s for kind, s in SpySampler.log if kind == "sample"]
    assert len(fits) == 2  # a fresh clone per repeat
    test_rows = {row.tobytes() for row in X_test}
    for x in fits:
        assert len(x) == len(X)
        assert not test_rows & {row.tobytes() for row in x}
    assert len(seeds) == 4  # per repeat: a training draw, an independent test draw
    assert seeds[0] != seeds[1] and seeds[2] != seeds[3]
    assert len(set(seeds)) == 4


def test_only_trtr_needs_no_sampler_fit(split):
    SpySampler.log.clear()
    evaluate_protocols(SpySampler(), LOGREG, *split, protocols=["TRTR"], n_repeats=1)
    assert SpySampler.log == []


def test_prefitted_sampler_and_dict_output(split, gaussian):
    res = evaluate_protocols(
        gaussian,
        LOGREG,
        *split,
        protocols=("TSTR", "TSTS"),
        n_synthetic={0: 100, 1: 100, 2: 100, 3: 100, 4: 100},
        n_repeats=1,
        refit=False,
        random_state=0,
        as_frame=False,
    )
    assert isinstance(res, dict)
    assert res["protocol"][0] == "TSTR"
    assert np.isnan(res["ci_low"][0])  # one repeat: no interval


def test_works_with_a_skorch_resnet(split):
    from ecgaug.classifiers import ResNetClassifier

    clf = ResNetClassifier(
        module__n_blocks=1, module__n_filters=8, max_epochs=2, train_split=None
    )
    res = evaluate_protocols(
        GaussianBeatSampler(),
        clf,
        *split,
        protocols=("TRTR", "TRSTR"),
        n_synthetic=500,
        n_repeats=1,
        random_state=0,
    )
    assert 0.0 < _value(res, "TRTR", "accuracy") <= 1.0
    assert _value(res, "TRSTR", "fit_time") > 0


def test_string_labels(split):
    X, y, X_test, y_test = split
    names = np.array(["N", "S", "V", "F", "Q"])
    res = evaluate_protocols(
        GaussianBeatSampler(),
        LOGREG,
        X,
        names[y],
        X_test,
        names[y_test],
        protocols=("TRTR", "TSTR"),
        n_synthetic={"F": 50, "N": 50, "Q": 50, "S": 50, "V": 50},
        n_repeats=1,
        random_state=0,
    )
    labels = res.loc[res.metric == "class_recall", "label"].tolist()
    assert labels == ["F", "N", "Q", "S", "V"] * 2


def test_synthetic_labels():
    y = np.array([0] * 70 + [1] * 20 + [2] * 10)
    np.testing.assert_array_equal(synthetic_labels(None, y), y)
    assert np.bincount(synthetic_labels(10, y)).tolist() == [7, 2, 1]
    assert np.bincount(synthetic_labels(0.5, y)).tolist() == [35, 10, 5]
    assert np.bincount(synthetic_labels(7, y)).sum() == 7
    assert np.bincount(synthetic_labels({1: 3, 2: 4}, y)).tolist() == [0, 3, 4]
    with pytest.raises(ValueError, match=r"class\(es\) \[9\] absent from y_train"):
        synthetic_labels({9: 3}, y)
    with pytest.raises(ValueError, match="integers >= 0"):
        synthetic_labels({1: -3}, y)
    with pytest.raises(ValueError, match="at least 1"):
        synthetic_labels(0, y)


def test_bad_input_gives_clear_errors(split, gaussian):
    X, y, X_test, y_test = split
    with pytest.raises(ValueError, match=r"Unknown protocol\(s\) \['TSRT'\]"):
        evaluate_protocols(gaussian, LOGREG, X, y, X_test, y_test, protocols=["TSRT"])
    with pytest.raises(ValueError, match="X_test has 180 features per beat"):
        evaluate_protocols(gaussian, LOGREG, X, y, X_test[:, :180], y_test)
    keep = y != 3
    with pytest.raises(ValueError, match=r"class\(es\) \[3\] appear in y_test but"):
        evaluate_protocols(gaussian, LOGREG, X[keep], y[keep], X_test, y_test)
    nan = X.copy()
    nan[7, 0] = np.nan
    with pytest.raises(ValueError, match="X_train contains NaN"):
        evaluate_protocols(gaussian, LOGREG, nan, y, X_test, y_test)
    with pytest.raises(ValueError, match="need a sampler"):
        evaluate_protocols(None, LOGREG, X, y, X_test, y_test, protocols=["TRTS"])
    with pytest.raises(NotFittedError, match="not fitted"):
        evaluate_protocols(
            GaussianBeatSampler(), LOGREG, X, y, X_test, y_test, refit=False
        )
    with pytest.raises(ValueError, match="n_repeats"):
        evaluate_protocols(gaussian, LOGREG, X, y, X_test, y_test, n_repeats=0)
