"""Metrics of synthetic beats on cases with known answers."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score

from ecgaug.evaluation.metrics import _embedding as embedding_module
from ecgaug.evaluation.metrics import _prdc as _prdc_module
from ecgaug.evaluation.metrics import (
    discriminative_score,
    frechet_distance,
    label_adherence,
    make_embedding,
    memorisation_score,
    mmd_rbf,
    precision_recall_density_coverage,
)


def _shifted(X):
    return X + np.float32(0.1)


def _noisy(X):
    rng = np.random.default_rng(1)
    return X + rng.normal(0.0, 0.05, X.shape).astype(np.float32)


# ----------------------------------------------------------- known answers
def test_identical_sets_score_perfectly(halves):
    X, y, _, _ = halves
    assert frechet_distance(X, y, X, y, embedding="raw") == pytest.approx(0, abs=1e-8)
    assert abs(mmd_rbf(X, y, X, y, random_state=0)) < 0.01
    assert mmd_rbf(X, y, X, y, unbiased=False) == pytest.approx(0, abs=1e-10)
    prdc = precision_recall_density_coverage(X, y, X, y, random_state=0)
    assert prdc == pytest.approx(
        {"precision": 1, "recall": 1, "density": 1, "coverage": 1}, abs=0.01
    )
    assert discriminative_score(X, y, X, y, cv=3, random_state=0) == pytest.approx(
        0.5, abs=0.05
    )


@pytest.mark.parametrize("spoil", [_shifted, _noisy], ids=["shift", "noise"])
def test_spoiled_sets_score_worse_than_other_real_beats(halves, spoil):
    """Against beats of the other real half, a shifted or noisy copy is worse."""
    Xa, ya, Xb, yb = halves
    bad = spoil(Xb)
    fd = {k: frechet_distance(Xa, ya, S, yb, embedding="raw") for k, S in
          [("real", Xb), ("bad", bad)]}  # fmt: skip
    assert fd["bad"] > 1.5 * fd["real"]
    mmd = {k: mmd_rbf(Xa, ya, S, yb, random_state=0) for k, S in
           [("real", Xb), ("bad", bad)]}  # fmt: skip
    assert mmd["bad"] > mmd["real"]
    real = precision_recall_density_coverage(Xa, ya, Xb, yb, random_state=0)
    worse = precision_recall_density_coverage(Xa, ya, bad, yb, random_state=0)
    assert worse["precision"] < real["precision"] - 0.1
    assert worse["coverage"] < real["coverage"] - 0.1
    assert real["precision"] > 0.8 and real["coverage"] > 0.8
    kw = {"cv": 3, "max_samples": 250, "random_state": 0}
    auc_real = discriminative_score(Xa, ya, Xb, yb, **kw)
    auc_bad = discriminative_score(Xa, ya, bad, yb, **kw)
    assert auc_real < 0.7
    assert auc_bad > 0.9


def test_mmd_grows_with_the_shift(halves):
    Xa, ya, Xb, yb = halves
    values = [mmd_rbf(Xa, ya, Xb + s, yb, random_state=0) for s in (0.0, 0.05, 0.2)]
    assert values[0] < values[1] < values[2]


def test_per_class_equals_the_metric_on_each_class(halves):
    Xa, ya, Xb, yb = halves
    per = frechet_distance(Xa, ya, Xb, yb, embedding="raw", per_class=True)
    assert list(per) == [0, 1, 2, 3, 4]
    for c, v in per.items():
        pooled = frechet_distance(Xa[ya == c], None, Xb[yb == c], None, embedding="raw")
        assert v == pytest.approx(pooled)
    prdc = precision_recall_density_coverage(
        Xa, ya, Xb, yb, per_class=True, random_state=0
    )
    assert set(prdc) == {"precision", "recall", "density", "coverage"}
    assert all(set(v) == {0, 1, 2, 3, 4} for v in prdc.values())
    mmd = mmd_rbf(Xa, ya, Xb, yb, per_class=True)
    assert set(mmd) == {0, 1, 2, 3, 4}


# ------------------------------------------------------------------ PRDC
def _prdc_cases():
    """Random sets, identical sets, duplicates, and rounded data full of ties."""
    rng = np.random.default_rng(0)
    for trial in range(12):
        n, m, d = rng.integers(20, 200), rng.integers(20, 200), rng.integers(1, 30)
        k = int(rng.integers(1, 8))
        real = rng.normal(size=(n, d)).astype(np.float32)
        synth = rng.normal(rng.uniform(-1, 1), rng.uniform(0.5, 2), size=(m, d))
        yield f"random{trial}", real, synth.astype(np.float32), k
        yield f"identical{trial}", real, real.copy(), k
        yield f"twice{trial}", real, np.concatenate([real[: n // 2]] * 2), k
        rounded = [np.round(a[:, :2], 1).astype(np.float32) for a in (real, synth)]
        yield f"ties{trial}", *rounded, k


@pytest.mark.parametrize(
    "real, synth, k", [c[1:] for c in _prdc_cases()], ids=[c[0] for c in _prdc_cases()]
)
def test_prdc_equals_the_reference_package(real, synth, k, capsys):
    # The values of Naeem et al.'s own implementation on float32 features (what
    # ecgaug passed to it), ties on ball edges included.
    prdc = pytest.importorskip("prdc")
    expected = prdc.compute_prdc(real, synth, nearest_k=k)
    capsys.readouterr()
    got = _prdc_module._compute_prdc(real, synth, k)
    assert got == pytest.approx({key: float(v) for key, v in expected.items()})
    assert capsys.readouterr().out == ""  # prdc prints the set sizes; ecgaug does not


def test_prdc_needs_no_extra_package(monkeypatch, halves, capsys):
    # A plain install has no 'prdc': the metric (and the report) still work.
    monkeypatch.setitem(sys.modules, "prdc", None)  # ``import prdc`` fails
    Xa, ya, Xb, yb = halves
    scores = precision_recall_density_coverage(Xa, ya, Xb, yb, random_state=0)
    assert set(scores) == {"precision", "recall", "density", "coverage"}
    assert 0.5 < scores["precision"] <= 1 and 0.5 < scores["coverage"] <= 1
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------- memorisation
def test_copying_sampler_is_flagged_and_honest_one_is_not(split, gaussian, copier):
    X, y, _, _ = split
    copies = memorisation_score(X, y, *copier.sample(500, random_state=1))
    assert copies["dcr_ratio"] < 0.01
    assert copies["near_copy_rate"] > 0.95
    honest = memorisation_score(X, y, *gaussian.sample(500, random_state=1))
    assert honest["dcr_ratio"] > 0.5
    assert honest["near_copy_rate"] < 0.25
    per = memorisation_score(X, y, *copier.sample(500, random_state=1), per_class=True)
    assert set(per["near_copy_rate"]) == {0, 1, 2, 3, 4}
    assert min(per["near_copy_rate"].values()) > 0.9


def test_memorisation_with_a_holdout_set(split, copier):
    """Held-out real beats of the same patients sit no closer than new beats."""
    X, y, _, _ = split
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    train, hold = idx[:1500], idx[1500:]
    holdout = memorisation_score(
        X[train], y[train], X[hold], y[hold], X_holdout=X[hold], y_holdout=y[hold]
    )
    assert holdout["dcr_ratio"] == pytest.approx(1.0)
    loo = memorisation_score(X[train], y[train], X[hold], y[hold])
    assert 0.7 < loo["dcr_ratio"] < 1.5
    assert loo["near_copy_rate"] < 0.2


def test_memorisation_searches_every_training_beat(split, copier):
    """A copier scores 0 however few queries are drawn, but only when X_train is
    the whole training set: a subsample of it hides the copies (issue 14)."""
    X, y, _, _ = split
    X_copy, y_copy = copier.sample(400, random_state=2)
    few = memorisation_score(X, y, X_copy, y_copy, max_samples=50, random_state=0)
    assert few["dcr_ratio"] == pytest.approx(0.0, abs=1e-5)
    assert few["near_copy_rate"] == 1.0
    per = memorisation_score(
        X, y, X_copy, y_copy, per_class=True, max_samples=20, random_state=0
    )
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in per["dcr_ratio"].values())
    # the pitfall the benchmark fell into: searching a quarter of the beats
    part = np.random.default_rng(0).permutation(len(X))[: len(X) // 4]
    hidden = memorisation_score(X[part], y[part], X_copy, y_copy, random_state=0)
    assert hidden["dcr_ratio"] > 0.3 and hidden["near_copy_rate"] < 0.5


# ------------------------------------------------------------ adherence
def test_label_adherence_is_the_classifier_recall_on_the_given_beats(split):
    X, y, X_test, y_test = split
    clf = LogisticRegression(max_iter=300).fit(X, y)
    assert label_adherence(X, y, X_test, y_test, classifier=clf) == pytest.approx(
        clf.score(X_test, y_test)
    )
    per = label_adherence(X, y, X_test, y_test, classifier=clf, per_class=True)
    expected = recall_score(y_test, clf.predict(X_test), average=None)
    assert list(per.values()) == pytest.approx(list(expected))


def test_label_adherence_falls_when_labels_are_swapped(split, gaussian):
    X, y, _, _ = split
    Xs, ys = gaussian.sample(500, random_state=2)
    clf = LogisticRegression(max_iter=300)  # unfitted: cloned and fitted on X, y
    good = label_adherence(X, y, Xs, ys, classifier=clf)
    wrong = label_adherence(X, y, Xs, (ys + 1) % 5, classifier=clf)
    assert good > 0.7
    assert wrong < 0.3


# ------------------------------------------------------------ embeddings
def test_resnet_embeddings(split, tiny_resnet):
    X, y, X_test, y_test = split
    from_clf = make_embedding(tiny_resnet)(X_test[:50])
    from_module = make_embedding(tiny_resnet.module_)(X_test[:50])
    assert from_clf.shape == (50, tiny_resnet.module_.embed(
        __import__("torch").zeros(1, 187)).shape[1])  # fmt: skip
    np.testing.assert_allclose(from_clf, from_module, rtol=1e-5, atol=1e-6)
    same = frechet_distance(X_test, y_test, X_test, y_test, embedding=tiny_resnet)
    other = frechet_distance(X, y, X_test, y_test, embedding=tiny_resnet)
    worse = frechet_distance(X, y, _shifted(X_test), y_test, embedding=tiny_resnet)
    assert same == pytest.approx(0, abs=1e-6)
    assert 0 < other < worse


def test_transformer_and_callable_embeddings(halves):
    Xa, ya, Xb, yb = halves
    pca = PCA(n_components=5).fit(Xa)
    by_pca = frechet_distance(Xa, ya, Xb, yb, embedding=pca)
    by_fn = frechet_distance(Xa, ya, Xb, yb, embedding=pca.transform)
    assert by_pca == pytest.approx(by_fn)
    with pytest.raises(ValueError, match="returned shape"):
        frechet_distance(Xa, ya, Xb, yb, embedding=lambda X: X[:3])


def test_default_embedding_trains_a_small_resnet(monkeypatch, halves):
    monkeypatch.setitem(embedding_module.DEFAULT_CLASSIFIER_PARAMS, "max_epochs", 1)
    monkeypatch.setitem(
        embedding_module.DEFAULT_CLASSIFIER_PARAMS, "module__n_filters", 4
    )
    Xa, ya, Xb, yb = halves
    same = frechet_distance(Xa, ya, Xa, ya, random_state=0)
    other = frechet_distance(Xa, ya, _shifted(Xb), yb, random_state=0)
    assert same == pytest.approx(0, abs=1e-6)
    assert other > 0
    with pytest.raises(ValueError, match="pass y_real"):
        frechet_distance(Xa, None, Xb, None)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "metric",
    [
        lambda *a, **k: frechet_distance(*a, embedding="raw", **k),
        mmd_rbf,
        precision_recall_density_coverage,
        lambda *a, **k: discriminative_score(*a, cv=2, **k),
        memorisation_score,
        lambda *a, **k: label_adherence(*a, classifier=LogisticRegression(), **k),
    ],
    ids=["fd", "mmd", "prdc", "auc", "dcr", "adherence"],
)
def test_bad_input_gives_clear_errors(halves, metric):
    Xa, ya, Xb, yb = halves
    with pytest.raises(ValueError, match="X_synth has 180 features per beat but"):
        metric(Xa, ya, Xb[:, :180], yb)
    keep = yb != 3
    with pytest.raises(ValueError, match=r"class\(es\) \[3\] appear in y_real but"):
        metric(Xa, ya, Xb[keep], yb[keep])
    nan = Xb.copy()
    nan[4, 10] = np.nan
    with pytest.raises(ValueError, match="X_synth contains NaN .* first in row 4"):
        metric(Xa, ya, nan, yb)
    with pytest.raises(ValueError, match="y_synth has 3 labels but X_synth has"):
        metric(Xa, ya, Xb, yb[:3])
    with pytest.raises(ValueError, match="both y_real and y_synth"):
        metric(Xa, ya, Xb, None)


def test_too_small_classes_and_bad_options(halves):
    Xa, ya, Xb, yb = halves
    with pytest.raises(
        ValueError,
        match=r"X_real of class 3 has \d+ beat\(s\); PRDC with k=70 needs at least 72",
    ):
        precision_recall_density_coverage(Xa, ya, Xb, yb, nearest_k=70, per_class=True)
    with pytest.raises(ValueError, match="per_class=True needs"):
        mmd_rbf(Xa, None, Xb, None, per_class=True)
    with pytest.raises(ValueError, match="Unknown embedding 'inception'"):
        frechet_distance(Xa, ya, Xb, yb, embedding="inception")
    with pytest.raises(ValueError, match="quantile"):
        memorisation_score(Xa, ya, Xb, yb, quantile=1.5)
    with pytest.raises(ValueError, match="not fitted"):
        from ecgaug.classifiers import ResNetClassifier

        frechet_distance(Xa, ya, Xb, yb, embedding=ResNetClassifier())
    with pytest.raises(ValueError, match="does not know"):
        clf = LogisticRegression(max_iter=200).fit(Xa[ya < 4], ya[ya < 4])
        label_adherence(Xa, ya, Xb, yb, classifier=clf)
