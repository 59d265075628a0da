"""RR-interval features of each beat: the rhythm context a single beat lacks.

A supraventricular ectopic (S) beat differs from a normal one mostly by its
timing: it comes early. A 187-sample beat cut from its R peak shows at most the
interval that follows it, so every loader can also return, per beat, the
intervals around it and the patient's own rhythm (de Chazal et al. 2004;
Mondéjar-Guerra et al. 2019). The features are computed from the R-peak
positions alone (annotations, or detections), one record at a time.

=====================  ==========================================================
``pre_rr``             interval from the previous R peak (s)
``post_rr``            interval to the next R peak (s)
``local_rr``           mean ``pre_rr`` of this beat and the 9 before it (s)
``record_rr``          mean RR interval of the whole record (s)
``pre_local_ratio``    ``pre_rr / local_rr``: < 1 for a premature beat
``pre_record_ratio``   ``pre_rr / record_rr``
``post_pre_ratio``     ``post_rr / pre_rr``: > 1 for a compensatory pause
``post_local_ratio``   ``post_rr / local_rr``
=====================  ==========================================================

The first beat of a record has no previous interval and takes its ``post_rr``
as ``pre_rr``; the last beat takes its ``pre_rr`` as ``post_rr``. A record with
a single beat gets zeros for the intervals and ones for the ratios.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "LOCAL_BEATS",
    "RR_FEATURE_NAMES",
    "RR_OPTIONS",
    "RR_VERSION",
    "RR_LOG_FLOOR",
    "check_rr_option",
    "log_rr_transformer",
    "rr_features",
    "with_rr",
]

#: Names of the columns returned by :func:`rr_features`, in order.
RR_FEATURE_NAMES: tuple[str, ...] = (
    "pre_rr",
    "post_rr",
    "local_rr",
    "record_rr",
    "pre_local_ratio",
    "pre_record_ratio",
    "post_pre_ratio",
    "post_local_ratio",
)
#: Values of the loaders' ``rr_features``: no RR fields, the fields, also columns.
RR_OPTIONS = (False, True, "append")
#: Version of these features, part of the beat-cache key of the loaders.
RR_VERSION = 1
#: Beats averaged in ``local_rr`` (this one and the ones before it).
LOCAL_BEATS = 10
#: Floor of the RR features before their logarithm (a lone beat's intervals are 0).
RR_LOG_FLOOR = 1e-3


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, 1 where ``den`` is 0."""
    out = np.ones_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def rr_features(r_peaks, fs: float, *, local_beats: int = LOCAL_BEATS) -> np.ndarray:
    """RR-interval features of each beat of one record.

    Parameters
    ----------
    r_peaks : array-like of int, shape (n_beats,)
        Sample index of every R peak of the record, in increasing order (every
        beat, not only those kept for classification: the neighbours count).
    fs : float
        Sampling rate of ``r_peaks`` (Hz).
    local_beats : int, default=10
        Number of beats whose previous interval is averaged in ``local_rr``
        (this beat and the ``local_beats - 1`` before it; fewer at the start).

    Returns
    -------
    rr : ndarray of float32, shape (n_beats, 8)
        Columns named by ``RR_FEATURE_NAMES``: ``pre_rr``, ``post_rr``,
        ``local_rr``, ``record_rr`` in seconds, then the ratios
        ``pre_rr / local_rr``, ``pre_rr / record_rr``, ``post_rr / pre_rr``,
        ``post_rr / local_rr``.

    Raises
    ------
    ValueError
        If ``r_peaks`` is not 1-D and non-decreasing, or ``fs`` or
        ``local_beats`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.datasets import rr_features
    >>> peaks = np.array([0, 360, 720, 900, 1440, 1800])  # the 4th beat is early
    >>> rr = rr_features(peaks, fs=360)
    >>> rr[3, [0, 1]].tolist()  # pre_rr, post_rr (s)
    [0.5, 1.5]
    """
    peaks = np.asarray(r_peaks)
    if peaks.ndim != 1:
        raise ValueError(f"r_peaks must be 1-D, got shape {peaks.shape}.")
    if not fs > 0:
        raise ValueError(f"fs must be positive, got {fs!r}.")
    if int(local_beats) != local_beats or local_beats < 1:
        raise ValueError(
            f"local_beats must be a positive integer, got {local_beats!r}."
        )
    n = len(peaks)
    out = np.zeros((n, len(RR_FEATURE_NAMES)), dtype=np.float64)
    if n == 0:
        return out.astype(np.float32)
    out[:, 4:] = 1.0
    if n < 2:
        return out.astype(np.float32)
    rr = np.diff(peaks.astype(np.float64)) / float(fs)  # (n - 1,)
    if (rr < 0).any():
        raise ValueError("r_peaks must be sorted in increasing order.")
    pre = np.concatenate([rr[:1], rr])  # (n,)
    post = np.concatenate([rr, rr[-1:]])  # (n,)
    csum = np.concatenate([[0.0], np.cumsum(pre)])
    stop = np.arange(1, n + 1)
    start = np.maximum(stop - int(local_beats), 0)
    local = (csum[stop] - csum[start]) / (stop - start)
    record = np.full(n, rr.mean())
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = pre, post, local, record
    out[:, 4] = _ratio(pre, local)
    out[:, 5] = _ratio(pre, record)
    out[:, 6] = _ratio(post, pre)
    out[:, 7] = _ratio(post, local)
    return out.astype(np.float32)


def _log_last_columns(X, n_rr: int) -> np.ndarray:
    """``X`` with its last ``n_rr`` columns replaced by ``log(max(x, floor))``."""
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    if X.ndim != 2 or X.shape[1] <= n_rr:
        raise ValueError(
            f"log_rr_transformer(n_rr={n_rr}) expects a 2-D X of the waveform "
            f"followed by {n_rr} RR columns; got shape {X.shape}."
        )
    out = X.copy()
    out[:, -n_rr:] = np.log(np.maximum(X[:, -n_rr:], RR_LOG_FLOOR))
    return out


def log_rr_transformer(n_rr: int = len(RR_FEATURE_NAMES)):
    """The waveform columns unchanged, the last ``n_rr`` columns as logarithms.

    The RR features are skewed (a compensatory pause doubles
    ``post_pre_ratio``, a lone beat's intervals are 0): a network reads them
    better as ``log(max(x, RR_LOG_FLOOR))``. Put this step before the
    classifier in a pipeline, after any sampler, for the layout that
    ``rr_features="append"`` gives (waveform, then the RR features). On the
    held-out DS1 patients of the inter-patient benchmark, S sensitivity was
    0.48 with the raw features and 0.71 with their logarithms, at the same
    macro-F1.

    Parameters
    ----------
    n_rr : int, default=8
        How many columns at the end of ``X`` are RR features (all of
        :data:`RR_FEATURE_NAMES` by default).

    Returns
    -------
    sklearn.preprocessing.FunctionTransformer
        Stateless (it learns nothing from the data, so it is safe anywhere in
        cross-validation); it keeps the column order and raises a
        ``ValueError`` naming the shape when ``X`` has no more than ``n_rr``
        columns.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.datasets import log_rr_transformer
    >>> X = np.array([[0.5, 0.2, 0.8, 2.0]])  # two waveform, two RR columns
    >>> log_rr_transformer(n_rr=2).fit_transform(X).round(3)
    array([[ 0.5  ,  0.2  , -0.223,  0.693]])
    """
    from sklearn.preprocessing import FunctionTransformer

    if isinstance(n_rr, bool) or not isinstance(n_rr, int | np.integer) or n_rr < 1:
        raise ValueError(f"n_rr must be a positive number of columns, got {n_rr!r}")
    return FunctionTransformer(_log_last_columns, kw_args={"n_rr": int(n_rr)})


def check_rr_option(rr_features) -> None:
    """Raise unless ``rr_features`` is False, True or "append"."""
    ok = isinstance(rr_features, (bool, np.bool_)) or (
        isinstance(rr_features, str) and rr_features == "append"
    )
    if not ok:
        raise ValueError(
            f"rr_features={rr_features!r} is not an option; use False (no RR "
            'features), True (bunch.rr and bunch.rr_names) or "append" (also '
            "the last 8 columns of data)."
        )


def with_rr(data: np.ndarray, names: list[str], rr: np.ndarray, rr_features):
    """``data``, ``feature_names`` and the Bunch fields for one ``rr_features``."""
    if isinstance(rr_features, str):  # "append"
        data = np.hstack([data, rr.astype(data.dtype, copy=False)])
        names = [*names, *RR_FEATURE_NAMES]
    if not rr_features:
        return data, names, {}
    return data, names, {"rr": rr, "rr_names": list(RR_FEATURE_NAMES)}
