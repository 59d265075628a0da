"""Cutting a lead into fixed-length heartbeats (187 samples), three ways.

* :func:`kachuee_segments`: the recipe behind the public Kaggle heartbeat CSVs
  (Kachuee et al. 2018 as actually built): raw ADC integers at the record's rate,
  a beat of ``int(r1 + 0.2 * r2)`` samples from each annotation, every third
  sample kept (360 Hz -> 120 Hz).
* :func:`peak_segments`: the method as the paper describes it, on a signal
  resampled to 125 Hz: from each R peak, ``1.2 * T`` samples where ``T`` is the
  median RR interval of the peaks in the surrounding 10 s window. Used with
  annotated R peaks (``segmentation="annotation"``) and detected ones
  (``segmentation="detector"``).
* :func:`context_segments`: a fixed window of ``CONTEXT_SAMPLES`` samples centred
  on each R peak (``segmentation="context"``), long enough to hold the previous
  and the next R peak, so that a classifier sees the beat's rhythm.

Every segment is min-max normalised on its own to [0, 1] in float64, then cut
to ``n_samples`` and zero-padded, and stored as float32.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import resample_poly

__all__ = [
    "CONTEXT_FS",
    "CONTEXT_HALF_S",
    "CONTEXT_SAMPLES",
    "N_SAMPLES",
    "TARGET_FS",
    "context_segments",
    "kachuee_segments",
    "median_rr",
    "peak_segments",
    "resample_to",
]

#: Samples per beat and lead, as in the public Kaggle CSVs.
N_SAMPLES = 187
#: Sampling rate (Hz) of ``segmentation="annotation"`` and ``"detector"`` beats.
TARGET_FS = 125
#: Sampling rate (Hz) of ``segmentation="context"`` windows. Measured on MLII of
#: the 48 MIT-BIH records (first 5 min, high-passed at 0.5 Hz, Welch PSD): 99.7 %
#: of the power lies below its Nyquist frequency of 50 Hz (99.9 % below 62.5 Hz,
#: 98.3 % below 31.25 Hz), at 0.8 of the length of a 125 Hz window.
CONTEXT_FS = 100
#: Half-width (s) of a context window. Over the 109,398 beats of the 48 records
#: that have both neighbours, the previous and the next R peak lie at least
#: 50 ms (half a QRS) inside ``±1.7 s`` for 99.1 % of all beats (98.9 % at
#: ±1.6 s, 99.4 % at ±1.8 s); for S beats 90.8 % (long pauses in record 232).
CONTEXT_HALF_S = 1.7
#: Samples per lead of a context window: ``2 * CONTEXT_HALF_S * CONTEXT_FS``; the
#: beat's R peak is sample ``CONTEXT_SAMPLES // 2``.
CONTEXT_SAMPLES = 340
#: High-pass cut-off (Hz) removing baseline wander before context windows.
CONTEXT_HIGHPASS_HZ = 0.5
#: Half-width (s) of the window whose median RR sets the segment length.
_RR_HALF_WINDOW_S = 5.0
#: Segment length as a multiple of the median RR interval.
_RR_FACTOR = 1.2


def _minmax_cut_pad(seg: np.ndarray, n_samples: int) -> np.ndarray:
    """``(seg - min) / (max - min)`` in float64, cut to ``n_samples``, zero-padded."""
    out = np.zeros(n_samples, dtype=np.float32)
    if seg.size == 0:
        return out
    seg = seg.astype(np.float64, copy=False)
    lo, hi = seg.min(), seg.max()
    if hi > lo:
        norm = (seg[:n_samples] - lo) / (hi - lo)
        out[: norm.size] = norm
    return out


def kachuee_segments(
    signal: np.ndarray,
    ann_samples: np.ndarray,
    is_beat: np.ndarray,
    *,
    step: int = 3,
    n_samples: int = N_SAMPLES,
) -> tuple[np.ndarray, np.ndarray]:
    """Beats of the public Kaggle MIT-BIH CSVs, bit for bit.

    Parameters
    ----------
    signal : ndarray, shape (sig_len, n_leads)
        Raw ADC integers of the record (``physical=False``), no filtering.
    ann_samples : ndarray of int, shape (n_ann,)
        Sample of *every* annotation of the ``.atr`` file, in file order,
        non-beat annotations included: they shorten ``r1``/``r2``.
    is_beat : ndarray of bool, shape (n_ann,)
        Which annotations are AAMI beats.
    step : int, default=3
        Keep every ``step``-th sample (360 Hz -> 120 Hz for MIT-BIH).
    n_samples : int, default=187
        Samples per beat and lead.

    Returns
    -------
    X : ndarray of float32, shape (n_beats, n_leads * n_samples)
        Lead-major: the first ``n_samples`` columns are the first lead.
    index : ndarray of int64, shape (n_beats,)
        Index into the annotations of each beat (every beat annotation but the
        last annotation of the file, which has no following R peak).
    """
    signal = np.asarray(signal)
    if signal.ndim == 1:
        signal = signal[:, None]
    ann = np.asarray(ann_samples, dtype=np.int64)
    n_ann = len(ann)
    index = np.flatnonzero(np.asarray(is_beat)[: max(n_ann - 1, 0)]).astype(np.int64)
    # r1: to the next annotation; r2: the one after, or to the end of the record.
    nxt = np.append(ann[1:], len(signal))
    after = np.append(nxt[1:], len(signal))
    r1 = nxt - ann
    r2 = after - nxt
    n_leads = signal.shape[1]
    X = np.zeros((len(index), n_leads * n_samples), dtype=np.float32)
    for row, i in enumerate(index):
        length = int(r1[i] + 0.2 * r2[i])
        start = ann[i]
        for lead in range(n_leads):
            seg = signal[start : start + length, lead][::step]
            X[row, lead * n_samples : (lead + 1) * n_samples] = _minmax_cut_pad(
                seg, n_samples
            )
    return X, index


def resample_to(
    signal: np.ndarray, fs: float, target_fs: int = TARGET_FS
) -> np.ndarray:
    """Anti-aliased polyphase resampling along axis 0 (``resample_poly``)."""
    from fractions import Fraction

    ratio = Fraction(int(target_fs), 1) / Fraction(fs).limit_denominator(1000)
    if ratio == 1:
        return np.asarray(signal, dtype=np.float64)
    return resample_poly(
        np.asarray(signal, dtype=np.float64), ratio.numerator, ratio.denominator, axis=0
    )


def median_rr(peaks: np.ndarray, fs: float, half_window_s: float = _RR_HALF_WINDOW_S):
    """Median RR interval (samples) of the peaks within ``±half_window_s`` of each peak.

    Only RR intervals with both ends inside the window count. A peak with no such
    interval (an isolated peak) gets the median RR of the whole record; a record
    with fewer than two peaks gets 0.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if len(peaks) < 2:
        return np.zeros(len(peaks))
    rr = np.diff(peaks)
    half = half_window_s * fs
    lo = np.searchsorted(peaks, peaks - half, side="left")
    hi = np.searchsorted(peaks, peaks + half, side="right")  # peaks[lo:hi] in window
    n_rr = np.maximum(hi - 1 - lo, 0)  # RR intervals rr[lo : hi - 1] in the window
    # One row per peak holding its window's RR intervals, NaN-padded; NaNs sort last.
    cols = np.arange(max(int(n_rr.max()), 1))
    take = lo[:, None] + cols[None, :]
    windows = np.where(
        cols[None, :] < n_rr[:, None], rr[np.minimum(take, len(rr) - 1)], np.nan
    )
    windows.sort(axis=1)
    rows = np.arange(len(peaks))
    lower = windows[rows, np.maximum((n_rr - 1) // 2, 0)]
    upper = windows[rows, n_rr // 2]
    out = (lower + upper) / 2
    out[n_rr == 0] = np.median(rr)
    return out


def peak_segments(
    signal: np.ndarray,
    peaks: np.ndarray,
    fs: float,
    *,
    n_samples: int = N_SAMPLES,
) -> np.ndarray:
    """Beats starting at each R peak, ``1.2 × median RR`` long (Kachuee et al. 2018).

    Parameters
    ----------
    signal : ndarray, shape (sig_len, n_leads)
        The signal, already at its final rate (125 Hz in the loaders).
    peaks : ndarray of int, shape (n_beats,)
        Sorted R-peak sample indices in ``signal``.
    fs : float
        Sampling rate of ``signal``.
    n_samples : int, default=187
        Samples per beat and lead.

    Returns
    -------
    X : ndarray of float32, shape (n_beats, n_leads * n_samples)
        Lead-major, each lead min-max normalised on its own, zero-padded.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim == 1:
        signal = signal[:, None]
    peaks = np.asarray(peaks, dtype=np.int64)
    lengths = np.rint(_RR_FACTOR * median_rr(peaks, fs)).astype(np.int64)
    n_leads = signal.shape[1]
    X = np.zeros((len(peaks), n_leads * n_samples), dtype=np.float32)
    for row, (start, length) in enumerate(zip(peaks, lengths)):
        for lead in range(n_leads):
            X[row, lead * n_samples : (lead + 1) * n_samples] = _minmax_cut_pad(
                signal[start : start + length, lead], n_samples
            )
    return X


def context_segments(
    signal: np.ndarray,
    peaks: np.ndarray,
    fs: float,
    *,
    n_samples: int = CONTEXT_SAMPLES,
    highpass_hz: float | None = CONTEXT_HIGHPASS_HZ,
) -> np.ndarray:
    """Fixed windows centred on each R peak, neighbouring beats included.

    The signal is high-passed (2nd-order Butterworth, zero phase) to remove
    baseline wander, then each window ``[peak - n_samples // 2, peak -
    n_samples // 2 + n_samples)`` is cut (edge values repeated past the ends of
    the record) and min-max normalised per lead to [0, 1]. The beat's R peak is
    always sample ``n_samples // 2``.

    Parameters
    ----------
    signal : ndarray, shape (sig_len, n_leads)
        The signal at its final rate (``CONTEXT_FS`` = 100 Hz in the loaders).
    peaks : ndarray of int, shape (n_beats,)
        R-peak sample indices in ``signal``.
    fs : float
        Sampling rate of ``signal``.
    n_samples : int, default=340
        Samples per window and lead (3.4 s at 100 Hz).
    highpass_hz : float or None, default=0.5
        High-pass cut-off; None keeps the signal as is.

    Returns
    -------
    X : ndarray of float32, shape (n_beats, n_leads * n_samples)
        Lead-major.
    """
    from scipy.signal import butter, sosfiltfilt

    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim == 1:
        signal = signal[:, None]
    peaks = np.asarray(peaks, dtype=np.int64)
    n_leads = signal.shape[1]
    X = np.zeros((len(peaks), n_leads * n_samples), dtype=np.float32)
    if len(peaks) == 0 or len(signal) == 0:
        return X
    if highpass_hz is not None and len(signal) > 12:
        sos = butter(2, highpass_hz, btype="highpass", fs=fs, output="sos")
        signal = sosfiltfilt(sos, signal, axis=0)
    half = n_samples // 2
    padded = np.pad(signal, ((half, n_samples), (0, 0)), mode="edge")
    starts = np.clip(peaks, 0, len(signal) - 1)  # window start in ``padded``
    offsets = np.arange(n_samples)
    for lead in range(n_leads):
        win = padded[starts[:, None] + offsets[None, :], lead]  # (n_beats, T)
        lo = win.min(axis=1, keepdims=True)
        span = win.max(axis=1, keepdims=True) - lo
        norm = np.divide(win - lo, span, out=np.zeros_like(win), where=span > 0)
        X[:, lead * n_samples : (lead + 1) * n_samples] = norm
    return X
