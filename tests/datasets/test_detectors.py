"""R-peak detectors against the MIT-BIH annotations, on a few records."""

from __future__ import annotations

import numpy as np
import pytest
from wfdb import processing

from ecgaug.datasets._aami import aami_labels
from ecgaug.datasets._detectors import detect_r_peaks, match_peaks
from ecgaug.datasets._records import read_annotation, read_signal, signal_to_physical
from ecgaug.datasets._segmentation import resample_to


def _record_125(data_home, record):
    db = data_home / "mitdb"
    d_signal, rec = read_signal(db, record, [0])
    ann = read_annotation(db, record)
    beats = np.asarray(ann.sample)[aami_labels(ann.symbol) >= 0]
    return resample_to(signal_to_physical(d_signal, rec), rec.fs)[:, 0], beats


@pytest.mark.parametrize(
    ("record", "min_ppv"),
    [("100", 0.99), ("119", 0.97)],  # 119 has noisy stretches: a few false peaks
)
def test_xqrs_finds_the_annotated_beats(data_home, record, min_ppv):
    signal, beats = _record_125(data_home, record)
    peaks = detect_r_peaks(signal, 125, "xqrs")
    score = processing.compare_annotations(
        beats, np.rint(peaks * 360 / 125).astype(int), int(0.15 * 360)
    )
    assert score.sensitivity > 0.99 and score.positive_predictivity > min_ppv


def test_kachuee_detector_is_literal_and_weaker(data_home):
    signal, beats = _record_125(data_home, "100")
    peaks = detect_r_peaks(signal, 125, "kachuee")
    # Every detection is a local maximum above 0.9 of its 10 s window.
    for p in peaks[:50]:
        window = signal[(p // 1250) * 1250 : (p // 1250 + 1) * 1250]
        norm = (signal[p] - window.min()) / (window.max() - window.min())
        assert norm > 0.9 and signal[p] >= signal[p - 1] and signal[p] >= signal[p + 1]
    score = processing.compare_annotations(
        beats, np.rint(peaks * 360 / 125).astype(int), int(0.15 * 360)
    )
    assert score.positive_predictivity > 0.99 and score.sensitivity < 0.9


def test_unknown_detector():
    with pytest.raises(ValueError, match="Unknown detector 'pan'"):
        detect_r_peaks(np.zeros(1000), 125, "pan")


def test_short_or_flat_signals_give_no_peaks():
    assert len(detect_r_peaks(np.zeros(100), 125, "xqrs")) == 0
    assert len(detect_r_peaks(np.zeros(5000), 125, "kachuee")) == 0


def test_match_peaks_is_one_to_one_within_tolerance():
    reference = np.array([100, 200, 300, 400])
    detected = np.array([98, 104, 210, 330, 401, 900])
    # 98 and 104 both near 100: only the nearer (98) is paired; 330 is too far.
    assert match_peaks(detected, reference, tolerance=15).tolist() == [
        0,
        -1,
        1,
        -1,
        3,
        -1,
    ]
    assert match_peaks(detected, np.array([], dtype=int), 15).tolist() == [-1] * 6
