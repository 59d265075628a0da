"""synthetic_quality_report: every metric and protocol of a fitted sampler."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from ecgaug.evaluation import REPORT_METRICS, synthetic_quality_report
from ecgaug.evaluation.metrics import _embedding as embedding_module
from ecgaug.evaluation.metrics import memorisation_score
from tests.evaluation._toy import GaussianBeatSampler

NAMES = ["N", "S", "V", "F", "Q"]
FAST = [m for m in REPORT_METRICS if m != "discriminative"]


def _get(report, metric, label="all", col="value"):
    row = report[(report.metric == metric) & (report.label == label)]
    assert len(row) == 1, (metric, label)
    return row[col].item()


@pytest.fixture(scope="module")
def honest(split, gaussian):
    return synthetic_quality_report(
        gaussian,
        *split,
        classifier=LogisticRegression(max_iter=300),
        embedding=PCA(n_components=10).fit(split[0]),
        metrics=FAST,
        max_samples=300,
        target_names=NAMES,
        random_state=0,
    )


def test_report_layout(honest):
    assert list(honest.columns) == [
        "group", "metric", "label", "value", "reference", "goal", "ci_low", "ci_high"
    ]  # fmt: skip
    assert set(honest.group) == {
        "fidelity",
        "diversity",
        "adherence",
        "privacy",
        "utility",
    }
    assert set(honest.label) == {"all", *NAMES}
    for metric in ("frechet_distance", "mmd_rbf", "precision", "coverage",
                   "label_adherence", "dcr_ratio"):  # fmt: skip
        assert np.isfinite(_get(honest, metric))
        assert np.isfinite(_get(honest, metric, "F"))
    assert np.isfinite(_get(honest, "TSTR_accuracy"))
    assert np.isfinite(_get(honest, "TSTR_class_recall", "F"))


def test_report_references_are_what_real_beats_score(split, honest):
    X, y, X_test, y_test = split
    # real training beats against real test beats: near-perfect fidelity ...
    assert _get(honest, "precision", col="reference") > 0.9
    assert _get(honest, "coverage", col="reference") > 0.9
    # ... which the simple generator does not reach
    assert _get(honest, "frechet_distance") > _get(
        honest, "frechet_distance", col="reference"
    )
    assert _get(honest, "recall") < _get(honest, "recall", col="reference")
    # adherence reference: the classifier's accuracy on the real test beats
    clf = LogisticRegression(max_iter=300).fit(X, y)
    assert _get(honest, "label_adherence", col="reference") == pytest.approx(
        clf.score(X_test, y_test)
    )
    # utility reference: TRTR
    assert _get(honest, "TSTR_accuracy", col="reference") == _get(
        honest, "TRTR_accuracy"
    )
    assert _get(honest, "near_copy_rate") < 0.25


def test_report_flags_a_copying_sampler(split, copier):
    report = synthetic_quality_report(
        copier,
        *split,
        classifier=LogisticRegression(max_iter=300),
        metrics=["memorisation", "discriminative"],
        per_class=False,
        max_samples=200,
        random_state=0,
    )
    assert len(report) == 3
    assert _get(report, "near_copy_rate") > 0.95
    assert _get(report, "dcr_ratio") < 0.01
    # copies of real beats are as hard to tell apart as other real beats
    assert abs(_get(report, "discriminative_auc") - 0.5) < 0.15


def test_report_memorisation_reference_is_measured_on_new_real_beats(split, copier):
    # the reference of the privacy rows is what the real test beats score
    # against every training beat (measured, not the nominal 1 and quantile)
    X, y, X_test, y_test = split
    report = synthetic_quality_report(
        copier,
        *split,
        classifier=LogisticRegression(max_iter=300),
        metrics=["memorisation"],
        per_class=True,
        max_samples=None,
        random_state=0,
    )
    real = memorisation_score(X, y, X_test, y_test, max_samples=None)
    assert _get(report, "dcr_ratio", col="reference") == pytest.approx(
        real["dcr_ratio"]
    )
    assert _get(report, "near_copy_rate", col="reference") == pytest.approx(
        real["near_copy_rate"]
    )
    assert _get(report, "dcr_ratio", col="reference") != 1.0
    # a copier of the training beats scores 0 against that measured reference
    assert _get(report, "dcr_ratio") == pytest.approx(0.0, abs=1e-5)
    assert _get(report, "dcr_ratio", label="1") == pytest.approx(0.0, abs=1e-5)


def test_report_with_the_default_resnet(monkeypatch, split, gaussian):
    monkeypatch.setitem(embedding_module.DEFAULT_CLASSIFIER_PARAMS, "max_epochs", 2)
    monkeypatch.setitem(
        embedding_module.DEFAULT_CLASSIFIER_PARAMS, "module__n_filters", 8
    )
    report = synthetic_quality_report(
        gaussian,
        *split,
        metrics=["frechet", "adherence"],
        n_synthetic=200,
        per_class=False,
        random_state=0,
        as_frame=False,
    )
    assert report["metric"] == ["frechet_distance", "label_adherence"]
    assert report["value"][0] > report["reference"][0] > 0


def test_report_skips_the_class_rows_a_class_is_too_small_for(split, gaussian):
    X, y, X_test, y_test = split
    keep = (y_test != 3) | (np.cumsum(y_test == 3) <= 4)  # 4 test beats of F
    with pytest.warns(UserWarning, match="precision_recall_density_coverage per"):
        report = synthetic_quality_report(
            gaussian,
            X,
            y,
            X_test[keep],
            y_test[keep],
            metrics=["prdc"],
            random_state=0,
        )
    assert set(report.label) == {"all"}
    assert len(report) == 4


def test_report_prdc_without_the_prdc_package(monkeypatch, split, gaussian):
    # The report computes PRDC by default; a plain install has no 'prdc'.
    monkeypatch.setitem(sys.modules, "prdc", None)  # ``import prdc`` fails
    report = synthetic_quality_report(
        gaussian, *split, metrics=["prdc"], per_class=False, random_state=0,
        as_frame=False,
    )  # fmt: skip
    assert report["metric"] == ["precision", "density", "recall", "coverage"]
    assert all(0 < v <= 2 for v in report["value"])


def test_report_errors(split, gaussian):
    with pytest.raises(NotFittedError, match="not fitted"):
        synthetic_quality_report(GaussianBeatSampler(), *split)
    with pytest.raises(ValueError, match=r"Unknown metric section\(s\) \['fid'\]"):
        synthetic_quality_report(gaussian, *split, metrics=["fid"])
    with pytest.raises(ValueError, match="Unknown protocol"):
        synthetic_quality_report(gaussian, *split, protocols=["TTTT"])
    with pytest.raises(ValueError, match="has no embed"):
        synthetic_quality_report(
            gaussian, *split, classifier=LogisticRegression(), metrics=["frechet"]
        )
