"""The figures of ecgaug.plotting render headless and draw what they are given."""

from __future__ import annotations

import sys
import types

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from ecgaug.evaluation import evaluate_protocols
from ecgaug.plotting import (
    plot_beats,
    plot_confusion_matrix,
    plot_embedding,
    plot_embeddings,
    plot_finetune_curves,
    plot_protocols,
)
from tests.evaluation._toy import GaussianBeatSampler


def _render(obj, tmp_path):
    fig = obj if isinstance(obj, Figure) else obj.figure
    fig.savefig(tmp_path / "figure.png", dpi=40)
    assert (tmp_path / "figure.png").stat().st_size > 1000


# ------------------------------------------------------------ embeddings
@pytest.mark.parametrize("method", ["tsne", "lle", "pca"])
def test_embedding_of_real_and_synthetic_beats(beats, method, tmp_path):
    sample, X_synth, y_synth = beats
    _, ax = plt.subplots()
    out = plot_embedding(
        sample.data, sample.target, X_synth, y_synth,
        method=method, max_per_class=40, target_names=sample.target_names,
        random_state=0, ax=ax,
    )  # fmt: skip
    assert out is ax
    assert len(ax.collections) == 10  # real and synthetic per class
    sizes = [len(c.get_offsets()) for c in ax.collections]
    assert sizes == [40] * 10
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["N real", "N synthetic"]
    _render(ax, tmp_path)


def test_embedding_is_deterministic_and_separates_a_shifted_set(beats):
    sample, X_synth, y_synth = beats
    kw = {"method": "pca", "max_per_class": 40, "random_state": 1}
    a = plot_embedding(sample.data, sample.target, X_synth + 1.0, y_synth, **kw)
    b = plot_embedding(sample.data, sample.target, X_synth + 1.0, y_synth, **kw)
    pts_a = [c.get_offsets() for c in a.collections]
    np.testing.assert_array_equal(pts_a[0], b.collections[0].get_offsets())
    real_x = np.concatenate([p[:, 0] for p in pts_a[0::2]])
    synth_x = np.concatenate([p[:, 0] for p in pts_a[1::2]])
    assert abs(real_x.mean() - synth_x.mean()) > 5 * real_x.std()


def test_umap_missing_says_how_to_install(beats, monkeypatch):
    sample, X_synth, y_synth = beats
    monkeypatch.setitem(sys.modules, "umap", None)  # import umap -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'ecgaug\[umap\]'"):
        plot_embedding(sample.data, sample.target, X_synth, y_synth, method="umap")


def test_umap_is_used_when_installed(beats, monkeypatch):
    sample, X_synth, y_synth = beats
    calls = []

    class FakeUMAP:  # umap.UMAP's interface, computed by PCA
        def __init__(self, n_components=2, random_state=None, n_neighbors=15):
            calls.append(n_neighbors)
            self.pca = PCA(n_components=n_components, random_state=random_state)

        def fit_transform(self, X):
            return self.pca.fit_transform(X)

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    ax = plot_embedding(
        sample.data, sample.target, X_synth, y_synth, method="umap",
        method_params={"n_neighbors": 7}, max_per_class=20,
    )  # fmt: skip
    assert calls == [7]
    assert ax.get_xlabel() == "UMAP 1"


def test_embeddings_side_by_side_and_errors(beats):
    sample, X_synth, y_synth = beats
    fig = plt.figure()
    out = plot_embeddings(
        sample.data, sample.target, X_synth, y_synth,
        methods=("pca", "lle"), max_per_class=30, fig=fig,
    )  # fmt: skip
    assert out is fig and len(fig.axes) == 2
    with pytest.raises(ValueError, match="Unknown method 'mds'"):
        plot_embedding(sample.data, sample.target, X_synth, y_synth, method="mds")
    with pytest.raises(ValueError, match="X_synth has 180 features"):
        plot_embedding(sample.data, sample.target, X_synth[:, :180], y_synth)
    with pytest.raises(ValueError, match=r"class\(es\) \[4\] appear in y_real"):
        keep = y_synth != 4
        plot_embedding(sample.data, sample.target, X_synth[keep], y_synth[keep])


# ------------------------------------------------------------- beat grid
def test_beat_grid_draws_class_means(beats, tmp_path):
    sample, X_synth, y_synth = beats
    fig = plot_beats(
        sample.data, sample.target, X_synth, y_synth, n_examples=2,
        target_names=sample.target_names, sampling_rate=sample.fs, random_state=0,
    )  # fmt: skip
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 10
    real_v = fig.axes[2]  # row 0 (real), column 2 (V)
    assert real_v.get_title() == "V"
    mean_line = real_v.lines[2]  # after the 2 examples
    np.testing.assert_allclose(
        mean_line.get_ydata(), sample.data[sample.target == 2].mean(axis=0), rtol=1e-5
    )
    assert mean_line.get_xdata()[-1] == pytest.approx(186 / 120)
    synth_v = fig.axes[7]
    np.testing.assert_allclose(
        synth_v.lines[2].get_ydata(), X_synth[y_synth == 2].mean(axis=0), rtol=1e-5
    )
    assert any(isinstance(c, PolyCollection) for c in real_v.collections)  # sd band
    _render(fig, tmp_path)


def test_beat_grid_real_only_and_errors(beats):
    sample, _, _ = beats
    fig = plot_beats(sample.data, sample.target, classes=[0, 2], n_examples=1)
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "2"
    assert fig.axes[0].get_xlabel() == "sample"
    with pytest.raises(ValueError, match=r"class\(es\) \[7\] have no real beats"):
        plot_beats(sample.data, sample.target, classes=[7])


# ---------------------------------------------------- fine-tuning curves
def test_finetune_curves_from_learning_curve_finetune(beats, tmp_path):
    from ecgaug.classifiers import (
        FineTunedClassifier,
        ResNetClassifier,
        learning_curve_finetune,
    )

    sample, X_synth, y_synth = beats
    clf = ResNetClassifier(
        module__n_blocks=1, module__n_filters=4, max_epochs=1, train_split=None
    )
    ft = FineTunedClassifier(clf, pretrain_epochs=1, finetune_epochs=1)
    idx = np.random.default_rng(0).choice(len(sample.data), 600, replace=False)
    table = learning_curve_finetune(
        ft, sample.data[idx], sample.target[idx], sample.data[:300:3],
        sample.target[:300:3], X_pretrain=X_synth, y_pretrain=y_synth,
        fractions=(0.5, 1.0), random_state=0,
    )  # fmt: skip
    fig = plot_finetune_curves(table, metrics=["accuracy", "recall_macro"])
    assert len(fig.axes) == 2
    lines = fig.axes[0].lines
    assert len(lines) == 2
    by_label = {ln.get_label(): ln for ln in lines}
    real = table[table.model == "real"]
    np.testing.assert_allclose(
        by_label["real only"].get_ydata(), real["accuracy"].to_numpy()
    )
    assert fig.axes[0].get_legend() is not None
    _render(fig, tmp_path)


def test_finetune_curves_average_seeds_into_bands():
    table = {
        "fraction": [0.2, 0.2, 1.0, 1.0] * 2,
        "model": ["real", "finetuned"] * 4,
        "accuracy": [0.90, 0.95, 0.96, 0.97, 0.92, 0.93, 0.98, 0.97],
    }
    fig = plot_finetune_curves(table, metrics=["accuracy"])
    ax = fig.axes[0]
    real = [ln for ln in ax.lines if ln.get_label() == "real only"][0]
    np.testing.assert_allclose(real.get_ydata(), [0.91, 0.97])
    assert len(ax.collections) == 2  # one ± sd band per model
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['f1_macro'\]"):
        plot_finetune_curves(table, metrics=["f1_macro"])


# ------------------------------------------------------- confusion matrix
def test_confusion_matrix_rows_are_recalls(tmp_path):
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 0, 1, 1, 1, 2, 0])
    ax = plot_confusion_matrix(y_true, y_pred, target_names=["N", "S", "V"])
    assert isinstance(ax, Axes)
    m = ax.images[0].get_array()
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.diag(m), [0.75, 1.0, 0.5])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["N", "S", "V"]
    counts = plot_confusion_matrix(y_true, y_pred, normalize=None)
    assert counts.images[0].get_array()[0, 0] == 3
    with pytest.raises(ValueError, match="normalize"):
        plot_confusion_matrix(y_true, y_pred, normalize="rows")
    _render(ax, tmp_path)


# ---------------------------------------------------------- protocol bars
def test_protocol_bars_show_the_means(beats, tmp_path):
    sample, _, _ = beats
    X, y = sample.data, sample.target
    res = evaluate_protocols(
        GaussianBeatSampler(), LogisticRegression(max_iter=200),
        X[~sample.is_test], y[~sample.is_test], X[sample.is_test], y[sample.is_test],
        n_repeats=2, random_state=0,
    )  # fmt: skip
    ax = plot_protocols(res, metrics=["accuracy", "f1_macro"])
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "TRTR", "TSTR", "TRTS", "TSTS", "TRSTR"
    ]  # fmt: skip
    heights = [p.get_height() for p in ax.patches]
    acc = res[(res.metric == "accuracy") & res.label.isna()]["mean"].tolist()
    np.testing.assert_allclose(heights[:5], acc)
    assert len(ax.containers) >= 2
    with pytest.raises(ValueError, match=r"metric\(s\) \['auc'\] are not in"):
        plot_protocols(res, metrics=["auc"])
    _render(ax, tmp_path)


# ------------------------------------------------------ issue 18: labels
def test_beat_grid_counts_each_class_and_labels_the_y_axis(beats):
    sample, X_synth, y_synth = beats
    fig = plot_beats(
        sample.data, sample.target, X_synth, y_synth, n_examples=1,
        target_names=sample.target_names, random_state=0,
    )  # fmt: skip
    for j, c in enumerate(np.unique(sample.target)):
        texts = [t.get_text() for t in fig.axes[j].texts]  # the real row
        assert texts == [f"real n={int(np.sum(sample.target == c)):,}"], texts
        texts = [t.get_text() for t in fig.axes[5 + j].texts]  # the synthetic row
        assert texts == [f"synthetic n={int(np.sum(y_synth == c)):,}"], texts
    legend = fig.axes[4].get_legend()
    assert all("n=" not in t.get_text() for t in legend.get_texts())
    assert "amplitude" in fig.axes[0].get_ylabel()
    assert "amplitude" in fig.axes[5].get_ylabel()


def test_protocol_bars_have_no_error_bars_for_one_repeat():
    one = {
        "protocol": ["TRTR", "TSTR"], "metric": ["accuracy"] * 2, "label": [None] * 2,
        "mean": [0.9, 0.5], "ci_low": [np.nan] * 2, "ci_high": [np.nan] * 2,
    }  # fmt: skip
    from matplotlib.container import ErrorbarContainer

    def n_errorbars(ax):
        return sum(isinstance(c, ErrorbarContainer) for c in ax.containers)

    assert n_errorbars(plot_protocols(one, metrics=["accuracy"])) == 0
    two = {**one, "ci_low": [0.85, 0.4], "ci_high": [0.95, 0.6]}
    assert n_errorbars(plot_protocols(two, metrics=["accuracy"])) == 1
