"""Scorers that let GridSearchCV choose a sampler's hyperparameters."""

from __future__ import annotations

import pytest
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import FunctionTransformer

from ecgaug.evaluation import make_fidelity_scorer, make_tstr_scorer
from ecgaug.evaluation._scoring import find_sampler
from tests.evaluation._toy import GaussianBeatSampler

CV = StratifiedKFold(2, shuffle=True, random_state=0)
LOGREG = LogisticRegression(max_iter=300)


@pytest.mark.parametrize(
    "metric", ["frechet_distance", "mmd_rbf", "precision", "coverage", "density"]
)
def test_fidelity_scorer_prefers_the_unshifted_sampler(split, metric):
    X, y, _, _ = split
    scorer = make_fidelity_scorer(metric, max_samples=300) if metric != (
        "frechet_distance") else make_fidelity_scorer(metric)  # fmt: skip
    search = GridSearchCV(
        GaussianBeatSampler(random_state=0),
        {"shift": [0.2, 0.0]},
        scoring=scorer,
        cv=CV,
    ).fit(X, y)
    assert search.best_params_ == {"shift": 0.0}
    assert hasattr(search.best_estimator_, "sample")  # refitted on all the data


def test_per_class_fidelity_scorer(split):
    X, y, _, _ = split
    search = GridSearchCV(
        GaussianBeatSampler(random_state=0),
        {"shift": [0.2, 0.0]},
        scoring=make_fidelity_scorer("frechet_distance", per_class=True),
        cv=CV,
    ).fit(X, y)
    assert search.best_params_ == {"shift": 0.0}


def test_tstr_scorer_prefers_the_richer_sampler(split):
    X, y, _, _ = split
    search = GridSearchCV(
        GaussianBeatSampler(random_state=0),
        {"n_components": [1, 8]},
        scoring=make_tstr_scorer(LOGREG, scoring="f1_macro"),
        cv=CV,
    ).fit(X, y)
    assert search.best_params_ == {"n_components": 8}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] + 0.05


def test_scorers_find_the_sampler_inside_a_pipeline(split):
    X, y, _, _ = split
    pipe = make_pipeline(
        FunctionTransformer(lambda Z: Z * 1.0),  # a step before the sampler
        GaussianBeatSampler(random_state=0),
        LOGREG,
    )
    search = GridSearchCV(
        pipe,
        {"gaussianbeatsampler__n_components": [1, 8]},
        scoring={
            "tstr": make_tstr_scorer(),  # trains a clone of LOGREG on synthetic beats
            "mmd": make_fidelity_scorer("mmd_rbf", max_samples=300),
            "trstr": "f1_macro",  # the augmented pipeline itself
        },
        refit="tstr",
        cv=CV,
    ).fit(X, y)
    assert search.best_params_ == {"gaussianbeatsampler__n_components": 8}
    mmd = search.cv_results_["mean_test_mmd"]
    assert mmd[1] > mmd[0]
    sampler, before, after = find_sampler(search.best_estimator_)
    assert isinstance(sampler, GaussianBeatSampler) and hasattr(sampler, "pca_")
    assert len(before.steps) == 1 and len(after.steps) == 1


def test_scorer_errors(split, gaussian):
    X, y, X_test, y_test = split
    with pytest.raises(ValueError, match="Unknown fidelity metric 'fid'"):
        make_fidelity_scorer("fid")
    with pytest.raises(ValueError):
        make_tstr_scorer(LOGREG, scoring="not_a_scorer")
    with pytest.raises(ValueError, match="bare sampler, so pass"):
        make_tstr_scorer()(gaussian, X_test, y_test)
    with pytest.raises(TypeError, match="needs a generative sampler"):
        make_fidelity_scorer()(LOGREG.fit(X, y), X_test, y_test)
    with pytest.raises(ValueError, match="X has 180 features per beat"):
        make_fidelity_scorer()(gaussian, X_test[:, :180], y_test)
