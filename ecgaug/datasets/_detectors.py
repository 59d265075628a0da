"""R-peak detectors for records without beat annotations, and matching to annotations.

* ``"xqrs"``: ``wfdb.processing.xqrs_detect`` (the XQRS detector of the WFDB
  toolkit), each detection then moved to the nearest extremum of the signal
  within ±50 ms (``wfdb.processing.correct_peaks``), since beats start at the
  R peak.
* ``"kachuee"``: Kachuee et al. 2018's detector read literally: the signal is cut
  into 10 s windows, each min-max normalised to [0, 1], and R peaks are the
  local maxima (zero crossings of the first difference, + to -) above 0.9.

Both run on the signal the beats are cut from (125 Hz in the loaders).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DETECTORS", "detect_r_peaks", "match_peaks"]

DETECTORS = ("xqrs", "kachuee")

_KACHUEE_WINDOW_S = 10.0
_KACHUEE_THRESHOLD = 0.9
_CORRECT_RADIUS_S = 0.05


def _kachuee_peaks(signal: np.ndarray, fs: float) -> np.ndarray:
    width = int(round(_KACHUEE_WINDOW_S * fs))
    peaks = []
    for start in range(0, len(signal), width):
        win = np.asarray(signal[start : start + width], dtype=np.float64)
        lo, hi = win.min(initial=np.inf), win.max(initial=-np.inf)
        if win.size < 3 or hi <= lo:
            continue
        win = (win - lo) / (hi - lo)
        d = np.diff(win)
        # d[k-1] > 0 >= d[k]: the first difference crosses zero downwards at k.
        k = np.flatnonzero((d[:-1] > 0) & (d[1:] <= 0)) + 1
        peaks.append(start + k[win[k] > _KACHUEE_THRESHOLD])
    return np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.int64)


def _xqrs_peaks(signal: np.ndarray, fs: float) -> np.ndarray:
    from wfdb import processing

    signal = np.asarray(signal, dtype=np.float64)
    if len(signal) < 2 * fs:  # XQRS needs a couple of seconds to learn
        return np.zeros(0, dtype=np.int64)
    peaks = processing.xqrs_detect(signal, fs=fs, verbose=False)
    if len(peaks) == 0:
        return np.zeros(0, dtype=np.int64)
    radius = max(1, int(round(_CORRECT_RADIUS_S * fs)))
    peaks = processing.correct_peaks(
        signal,
        peaks,
        search_radius=radius,
        smooth_window_size=2 * radius,
        peak_dir="compare",
    )
    return np.unique(np.asarray(peaks, dtype=np.int64))


def detect_r_peaks(signal: np.ndarray, fs: float, detector: str = "xqrs") -> np.ndarray:
    """R-peak sample indices of a single-lead ``signal`` sampled at ``fs`` Hz.

    Parameters
    ----------
    signal : ndarray, shape (n,)
        One lead, physical units.
    fs : float
        Sampling rate in Hz.
    detector : {"xqrs", "kachuee"}, default="xqrs"
        Which detector (see the module docstring).

    Returns
    -------
    peaks : ndarray of int64
        Sorted, unique sample indices.
    """
    if detector == "xqrs":
        peaks = _xqrs_peaks(signal, fs)
    elif detector == "kachuee":
        peaks = _kachuee_peaks(signal, fs)
    else:
        raise ValueError(f"Unknown detector {detector!r}; use one of {DETECTORS}.")
    return np.unique(peaks).astype(np.int64)


def match_peaks(detected: np.ndarray, reference: np.ndarray, tolerance: float):
    """Pair detected and reference peaks one to one, within ``tolerance`` samples.

    A detection and a reference peak are paired when each is the other's
    nearest and they lie at most ``tolerance`` apart.

    Returns
    -------
    ref_index : ndarray of int64, shape (len(detected),)
        For every detection the index of its reference peak, or -1 when unpaired.
    """
    detected = np.asarray(detected, dtype=np.int64)
    reference = np.asarray(reference, dtype=np.int64)
    out = np.full(len(detected), -1, dtype=np.int64)
    if len(detected) == 0 or len(reference) == 0:
        return out
    nearest_ref = _nearest(reference, detected)
    nearest_det = _nearest(detected, reference)
    mutual = nearest_det[nearest_ref] == np.arange(len(detected))
    close = np.abs(reference[nearest_ref] - detected) <= tolerance
    ok = mutual & close
    out[ok] = nearest_ref[ok]
    return out


def _nearest(sorted_values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of the element of ``sorted_values`` nearest to each query (ties: left)."""
    right = np.clip(np.searchsorted(sorted_values, queries), 0, len(sorted_values) - 1)
    left = np.clip(right - 1, 0, len(sorted_values) - 1)
    take_left = np.abs(queries - sorted_values[left]) <= np.abs(
        sorted_values[right] - queries
    )
    return np.where(take_left, left, right)
