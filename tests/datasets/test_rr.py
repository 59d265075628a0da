"""RR-interval features and the context segmentation (ecgaug.datasets._rr)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgaug.datasets import (
    RR_FEATURE_NAMES,
    load_mitbih,
    load_ptb,
    log_rr_transformer,
    rr_features,
)
from ecgaug.datasets._aami import aami_labels
from ecgaug.datasets._segmentation import CONTEXT_SAMPLES, context_segments

ROW0 = Path(__file__).parent / "data" / "kaggle_mitbih_train_row0.txt"


def _col(name: str) -> int:
    return RR_FEATURE_NAMES.index(name)


def test_rr_features_by_hand():
    peaks = np.array([0, 360, 720, 900, 1440, 1800])  # beat 3 is early
    rr = rr_features(peaks, fs=360)
    assert rr.dtype == np.float32 and rr.shape == (6, 8)
    np.testing.assert_allclose(rr[:, _col("pre_rr")], [1, 1, 1, 0.5, 1.5, 1])
    np.testing.assert_allclose(rr[:, _col("post_rr")], [1, 1, 0.5, 1.5, 1, 1])
    np.testing.assert_allclose(rr[:, _col("record_rr")], 1.0)
    # local: mean pre_rr of this beat and the ones before it (up to 10)
    np.testing.assert_allclose(rr[3, _col("local_rr")], 3.5 / 4)
    np.testing.assert_allclose(rr[3, _col("pre_local_ratio")], 0.5 / (3.5 / 4))
    np.testing.assert_allclose(rr[3, _col("post_pre_ratio")], 3.0)
    np.testing.assert_allclose(rr[3, _col("pre_record_ratio")], 0.5)


def test_rr_local_window_is_the_last_ten_beats():
    peaks = np.cumsum(np.r_[0, np.full(20, 100), np.full(20, 50)])
    rr = rr_features(peaks, fs=100, local_beats=10)
    local = rr[:, _col("local_rr")]
    assert local[20] == pytest.approx(1.0)
    assert local[30] == pytest.approx(0.5)  # ten 0.5 s intervals
    assert local[25] == pytest.approx((5 * 0.5 + 5 * 1.0) / 10)


def test_rr_features_edge_cases():
    assert rr_features(np.array([], dtype=int), 360).shape == (0, 8)
    one = rr_features([42], 360)
    assert one[0, :4].tolist() == [0, 0, 0, 0] and one[0, 4:].tolist() == [1] * 4
    with pytest.raises(ValueError, match="sorted"):
        rr_features([0, 200, 100], 360)
    with pytest.raises(ValueError, match="fs must be positive"):
        rr_features([0, 200], 0)
    with pytest.raises(ValueError, match="1-D"):
        rr_features(np.zeros((2, 2)), 360)


def test_context_segments_centre_the_peak_and_pad_the_edges():
    fs, T = 100, CONTEXT_SAMPLES
    signal = np.zeros(1000)
    peaks = np.array([5, 300, 995])
    signal[peaks] = 1.0
    X = context_segments(signal, peaks, fs, highpass_hz=None)
    assert X.shape == (3, T) and X.dtype == np.float32
    assert np.all(X.argmax(axis=1) == T // 2)
    assert X.min() == 0.0 and X.max() == 1.0
    # the window of the middle peak does not reach the neighbours (±1.7 s)
    assert X[1].sum() == 1.0


def test_kachuee_beats_unchanged_and_rr_appended(data_home):
    plain = load_mitbih(data_home=data_home, records=[122], rr_features=False)
    both = load_mitbih(data_home=data_home, records=[122], rr_features="append")
    assert "rr" not in plain and plain.data.shape[1] == 187
    assert both.data.shape == (len(plain.target), 195)
    assert np.array_equal(both.data[:, :187], plain.data)
    assert np.array_equal(both.data[:, 187:], both.rr)
    assert both.feature_names[187:] == list(RR_FEATURE_NAMES) == both.rr_names
    # the public Kaggle row 0 (record 122, annotation 324) is still bit-exact
    expected = np.zeros(187, dtype=np.float32)
    expected[:100] = np.loadtxt(ROW0, dtype=np.float32)
    ann = wfdb.rdann(str(data_home / "mitdb" / "122"), "atr")
    hit = np.flatnonzero(both.r_peak == ann.sample[324])
    assert np.array_equal(both.data[hit[0], :187], expected)


def test_rr_features_follow_every_annotated_beat(data_home):
    mit = load_mitbih(data_home=data_home, records=[220])
    ann = wfdb.rdann(str(data_home / "mitdb" / "220"), "atr")
    beats = np.asarray(ann.sample)[aami_labels(ann.symbol) >= 0]
    pos = np.searchsorted(beats, mit.r_peak)
    pre = np.diff(beats)[np.maximum(pos - 1, 0)] / 360
    inner = pos > 0
    np.testing.assert_allclose(mit.rr[inner, 0], pre[inner], rtol=1e-6)
    # S beats come early: their prematurity is far below that of N beats
    ratio = mit.rr[:, _col("pre_local_ratio")]
    s_med, n_med = np.median(ratio[mit.target == 1]), np.median(ratio[mit.target == 0])
    assert s_med < 0.75 < 0.95 < n_med


def test_context_segmentation_matches_annotation_beats(data_home):
    ctx = load_mitbih(data_home=data_home, records=[100], segmentation="context")
    ann = load_mitbih(data_home=data_home, records=[100], segmentation="annotation")
    assert ctx.data.shape == (len(ann.target), CONTEXT_SAMPLES) and ctx.fs == 100.0
    assert ctx.feature_names[-1] == f"t{CONTEXT_SAMPLES - 1:03d}"
    for key in ("target", "r_peak", "symbol", "groups", "rr"):
        assert np.array_equal(ctx[key], ann[key])
    assert ctx.data.min() == 0.0 and ctx.data.max() == 1.0
    # the R peak is the centre of the mean normal window (record 100: tall R)
    mean_n = ctx.data[ctx.target == 0].mean(axis=0)
    assert abs(int(mean_n.argmax()) - CONTEXT_SAMPLES // 2) <= 2
    # ... and the previous R peak shows up where pre_rr puts it
    prev = CONTEXT_SAMPLES // 2 - np.rint(ctx.rr[:, 0] * 100).astype(int)
    rows = np.flatnonzero((ctx.target == 0) & (prev > 5))[:200]
    near = [ctx.data[i, prev[i] - 3 : prev[i] + 4].max() for i in rows]
    assert np.median(near) > 0.8


def test_context_split_and_cache_key(data_home):
    ds2 = load_mitbih(
        data_home=data_home, records=[100, 101], segmentation="context", split="DS2"
    )
    assert set(ds2.groups) == {"100"}
    again = load_mitbih(
        data_home=data_home, records=[100], segmentation="context", split="DS2"
    )  # from the cache written above
    assert np.array_equal(again.data, ds2.data) and np.array_equal(again.rr, ds2.rr)
    X, y = load_mitbih(
        data_home=data_home,
        records=[100],
        segmentation="context",
        rr_features="append",
        return_X_y=True,
    )
    assert X.shape == (len(y), CONTEXT_SAMPLES + 8)


def test_cache_key_holds_the_new_options(data_home, monkeypatch):
    from ecgaug.datasets import _mitbih

    seen = []
    real = _mitbih.cache_path

    def spy(cache_dir, db, record, params):
        seen.append(dict(params))
        return real(cache_dir, db, record, params)

    monkeypatch.setattr(_mitbih, "cache_path", spy)
    load_mitbih(data_home=data_home, records=[100], segmentation="context")
    assert seen[-1]["segmentation"] == "context"
    assert seen[-1]["n_samples"] == CONTEXT_SAMPLES
    assert "rr_version" in seen[-1]


@pytest.mark.parametrize("value", ["yes", 1.0, None])
def test_bad_rr_option(data_home, value):
    with pytest.raises(ValueError, match="rr_features="):
        load_mitbih(data_home=data_home, records=[100], rr_features=value)


def test_ptb_rr_features(ptb_home):
    ptb = load_ptb(data_home=ptb_home, rr_features="append")
    assert ptb.data.shape == (len(ptb.target), 195)
    assert np.array_equal(ptb.data[:, 187:], ptb.rr)
    rr = ptb.rr[:, _col("pre_rr")]
    assert 0.3 < np.median(rr) < 2.0  # a plausible heart rate, in seconds
    assert "rr" not in load_ptb(data_home=ptb_home, rr_features=False)


def test_log_rr_transformer_logs_only_the_rr_columns(bundled_sample):
    X = np.hstack([bundled_sample.data, bundled_sample.rr])
    out = log_rr_transformer().fit_transform(X)
    assert out.shape == X.shape
    np.testing.assert_array_equal(out[:, :-8], X[:, :-8])
    np.testing.assert_allclose(out[:, -8:], np.log(np.maximum(X[:, -8:], 1e-3)))
    # a lone beat's zero interval is floored, not -inf
    lone = log_rr_transformer(n_rr=1).fit_transform([[0.5, 0.0]])
    assert np.isfinite(lone).all() and lone.dtype == np.float64
    assert log_rr_transformer().fit_transform(X).dtype == np.float32
    # fewer columns than the RR features and a waveform: a clear error
    with pytest.raises(ValueError, match=r"expects a 2-D X .* shape \(3, 8\)"):
        log_rr_transformer().fit_transform(X[:3, -8:])


@pytest.mark.parametrize("n_rr", [0, -1, 2.5, True, "8"])
def test_log_rr_transformer_bad_n_rr(n_rr):
    with pytest.raises(ValueError, match="n_rr must be a positive number"):
        log_rr_transformer(n_rr=n_rr)


def test_log_rr_transformer_in_a_pickled_pipeline(bundled_sample):
    import pickle

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X = np.hstack([bundled_sample.data, bundled_sample.rr])
    pipe = make_pipeline(log_rr_transformer(), LogisticRegression(max_iter=200))
    pipe.fit(X, bundled_sample.target)
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict(X), pipe.predict(X))
