"""Beat segmentation: the Kachuee recipe and the 1.2 x median-RR segments."""

from __future__ import annotations

import numpy as np
import pytest

from ecgaug.datasets._segmentation import (
    kachuee_segments,
    median_rr,
    peak_segments,
    resample_to,
)


def test_kachuee_segments_follow_the_recipe_by_hand():
    signal = (np.arange(60) % 7 * 10).astype(np.int64)  # a sawtooth of ADC ints
    ann = np.array([2, 10, 13, 30, 50])
    is_beat = np.array([True, False, True, True, True])
    X, index = kachuee_segments(signal, ann, is_beat, step=3, n_samples=6)
    # The last annotation (50) has no successor; the non-beat at 10 shortens r1.
    assert index.tolist() == [0, 2, 3]
    assert X.dtype == np.float32 and X.shape == (3, 6)
    for row, i, r1, r2 in [(0, 0, 8, 3), (1, 2, 17, 20), (2, 3, 20, 10)]:
        length = int(r1 + 0.2 * r2)
        seg = signal[ann[i] : ann[i] + length][::3].astype(np.float64)
        # Min-max over the whole segment, then cut: beats 2 and 3 keep 7 and 8
        # samples after [::3], cut to 6.
        seg = (seg - seg.min()) / (seg.max() - seg.min())
        expected = np.zeros(6, dtype=np.float32)
        expected[: min(6, len(seg))] = seg[:6]
        assert np.array_equal(X[row], expected)
    assert X[0, 3:].tolist() == [0, 0, 0]  # beat 0: 3 samples, zero-padded


def test_kachuee_second_to_last_uses_record_end():
    signal = np.arange(40, dtype=np.int64)[::-1].copy()
    X, index = kachuee_segments(
        signal, np.array([5, 20]), np.array([True, True]), step=1, n_samples=30
    )
    # r1 = 15, r2 = 40 - 20 = 20 -> L = 19
    assert index.tolist() == [0]
    assert np.count_nonzero(X[0]) == 18 and X[0, 0] == 1.0 and X[0, 18] == 0.0


def test_constant_segment_is_zeros_not_nan():
    X, _ = kachuee_segments(np.full(50, 7), np.array([0, 20, 40]), np.ones(3, bool))
    assert np.array_equal(X, np.zeros_like(X))


def test_median_rr_uses_the_surrounding_window():
    fs = 10.0  # peaks every 8 samples, then every 12 after t = 20 s
    peaks = np.concatenate([np.arange(0, 200, 8), np.arange(200, 400, 12)])
    rr = median_rr(peaks, fs, half_window_s=5.0)
    assert rr[0] == 8 and rr[-1] == 12
    mid = np.flatnonzero(peaks == 200)[0]
    window = peaks[(peaks >= 150) & (peaks <= 250)]
    assert rr[mid] == np.median(np.diff(window))
    lonely = median_rr(np.array([0, 10, 500, 1000, 1010]), fs=1.0, half_window_s=20)
    assert lonely[2] == np.median(np.diff([0, 10, 500, 1000, 1010]))


def test_peak_segments_are_1_2_median_rr_long_and_lead_major():
    fs = 125
    t = np.arange(20 * fs)
    lead0 = np.sin(2 * np.pi * t / 100.0)
    lead1 = -2 * lead0 + 3
    peaks = np.arange(25, 2300, 100)  # RR = 100 samples -> segments of 120
    X = peak_segments(np.stack([lead0, lead1], axis=1), peaks, fs)
    assert X.shape == (len(peaks), 374) and X.dtype == np.float32
    assert not X[:, 120:187].any() and not X[:, 307:].any()
    assert X[:, :120].min() == 0.0 and X[:, :120].max() == 1.0
    # Each lead normalised on its own: lead 1 is lead 0 flipped.
    np.testing.assert_allclose(X[:, 187:307], 1 - X[:, :120], atol=1e-6)


def test_resample_to_125_hz_keeps_timing_and_removes_aliases():
    fs = 360
    t = np.arange(10 * fs) / fs
    low = np.sin(2 * np.pi * 5 * t)
    high = np.sin(2 * np.pi * 100 * t)  # above 62.5 Hz: must be filtered out
    out = resample_to(np.stack([low + high], axis=1), fs, 125)
    assert out.shape == (1250, 1)
    t125 = np.arange(1250) / 125
    inner = slice(50, -50)
    np.testing.assert_allclose(
        out[inner, 0], np.sin(2 * np.pi * 5 * t125)[inner], atol=0.02
    )
    assert resample_to(low[:, None], 125, 125).shape == (3600, 1)


@pytest.mark.parametrize("fs", [1000, 360, 250])
def test_resample_to_output_length(fs):
    assert len(resample_to(np.zeros((fs * 4, 1)), fs, 125)) == 500
