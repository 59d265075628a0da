"""``load_ptb``: myocardial infarction vs healthy-control beats of PTB (ptbdb)."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import wfdb

from .._parallel import parallel_map
from ._bunch import feature_names, load_descr, make_bunch
from ._cache import cache_path, fingerprint, load_cached, save_cached
from ._detectors import DETECTORS, detect_r_peaks
from ._fetch import ensure_records, verify_sha256
from ._home import get_cache_dir, get_data_home
from ._records import read_header, read_signal, record_files, signal_to_physical
from ._rr import RR_FEATURE_NAMES, RR_VERSION, check_rr_option, with_rr
from ._rr import rr_features as beat_rr
from ._segmentation import N_SAMPLES, TARGET_FS, peak_segments, resample_to

__all__ = ["PTB_TARGET_NAMES", "load_ptb"]

DB = "ptbdb"
#: Class names in label order.
PTB_TARGET_NAMES = ("healthy", "MI")
#: ``Reason for admission`` in the header comments -> label; other records skipped.
_REASONS = {"healthy control": 0, "myocardial infarction": 1}
_RECORD_NAME = re.compile(r"^patient\d{3}/s\d{4}\w*$")


def _local_records(db_dir: Path) -> list[str]:
    """Records listed in ``RECORDS``, else the headers found in ``patient*/``."""
    index = db_dir / "RECORDS"
    if index.is_file():
        lines = index.read_text(encoding="utf-8", errors="replace").split()
        return [line.strip() for line in lines if line.strip()]
    return sorted(
        p.relative_to(db_dir).with_suffix("").as_posix()
        for p in db_dir.glob("patient*/*.hea")
    )


def _check_records(records, db_dir: Path, download_if_missing: bool) -> list[str]:
    if records is None:
        found = _local_records(db_dir)
        if found:
            return found
        if not download_if_missing:
            raise FileNotFoundError(
                f"No PTB records found in {db_dir}. Call load_ptb with "
                "download_if_missing=True, or put the files of PhysioNet's 'ptbdb' "
                f"(https://physionet.org/content/ptbdb/) into {db_dir}."
            )
        try:
            return list(wfdb.get_record_list(DB))
        except Exception as exc:
            raise FileNotFoundError(
                f"No PTB records found in {db_dir}, and PhysioNet's list of records "
                f"could not be downloaded ({type(exc).__name__}: {exc}). Put the "
                f"files of PhysioNet's 'ptbdb' into {db_dir}, or retry when online."
            ) from exc
    if isinstance(records, str):
        records = [records]
    records = list(dict.fromkeys(str(r) for r in records))
    bad = [r for r in records if not _RECORD_NAME.match(r)]
    if bad:
        raise ValueError(
            f"Unknown PTB record(s) {bad}: names look like 'patient001/s0010_re' "
            "(see the RECORDS file of PhysioNet's ptbdb)."
        )
    if not records:
        raise ValueError("records is empty; pass None for every record found.")
    return records


def _label(header: wfdb.Record) -> int | None:
    for comment in header.comments or ():
        key, _, value = comment.partition(":")
        if key.strip().lower() == "reason for admission":
            return _REASONS.get(value.strip().lower())
    return None


def _extract(db_dir: Path, record: str, channel: int, detector: str) -> dict:
    verify_sha256(db_dir, record_files(db_dir, record, channels=[channel]))
    d_signal, rec = read_signal(db_dir, record, [channel])
    fs = float(rec.fs)
    signal = resample_to(signal_to_physical(d_signal, rec), fs, TARGET_FS)
    peaks = detect_r_peaks(signal[:, 0], TARGET_FS, detector)
    return {
        "data": peak_segments(signal, peaks, TARGET_FS),
        "r_peak": np.rint(peaks * (fs / TARGET_FS)).astype(np.int64),
        "rr": beat_rr(peaks, TARGET_FS),
    }


def _record_beats(db_dir, cache_dir, record, channel, detector):
    params = {
        "channel": channel,
        "segmentation": "detector",
        "detector": detector,
        "n_samples": N_SAMPLES,
        "db_dir": str(db_dir),
        "rr_version": RR_VERSION,
    }
    if cache_dir is None:
        return _extract(db_dir, record, channel, detector)
    path = cache_path(cache_dir, DB, record, params)
    source = fingerprint(record_files(db_dir, record, channels=[channel]))
    beats = load_cached(path, source)
    if beats is None:
        beats = _extract(db_dir, record, channel, detector)
        save_cached(path, beats, source)
    return beats


def load_ptb(
    *,
    data_home: str | os.PathLike | None = None,
    records: Sequence[str] | None = None,
    lead: str = "ii",
    segmentation: str = "detector",
    detector: str = "xqrs",
    rr_features: bool | str = True,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    cache: bool = True,
    n_jobs: int | None = None,
    verbose: int = 0,
):
    """Load heartbeats of the PTB Diagnostic ECG Database: MI vs healthy control.

    Each record's label comes from its header (``# Reason for admission:``):
    ``Healthy control`` -> 0 ``"healthy"``, ``Myocardial infarction`` -> 1
    ``"MI"``; records with any other diagnosis are skipped. ``lead`` is
    resampled from 1000 Hz to 125 Hz (``resample_poly(signal, 1, 8)``), R peaks
    are found by ``detector`` (PTB has no beat annotations), and each beat runs
    from its R peak for 1.2 median RR intervals, min-max normalised, cut to 187
    samples and zero-padded: the ``segmentation="detector"`` path of
    :func:`load_mitbih`. Read more in ``DESCR``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``ptbdb/`` (see :func:`get_data_home`).
    records : sequence of str, default=None
        Record names such as ``"patient001/s0010_re"``. By default those listed
        in ``ptbdb/RECORDS``, else every ``ptbdb/patient*/*.hea`` found, else
        (with ``download_if_missing``) all 549 of PhysioNet's list.
    lead : str, default="ii"
        Lead name (case-insensitive): ``i, ii, iii, avr, avl, avf, v1..v6, vx,
        vy, vz``.
    segmentation : {"detector"}, default="detector"
        Only ``"detector"``: PTB has no beat annotations, so the ``"kachuee"``
        and ``"annotation"`` segmentations of MIT-BIH do not apply.
    detector : {"xqrs", "kachuee"}, default="xqrs"
        R-peak detector, as in :func:`load_mitbih`.
    rr_features : bool or "append", default=True
        RR-interval features of each beat, from the detected R peaks, as in
        :func:`load_mitbih`: ``True`` adds ``rr`` and ``rr_names`` to the
        Bunch, ``"append"`` also appends them to ``data`` (8 last columns),
        ``False`` neither.
    download_if_missing : bool, default=True
        Download absent records from PhysioNet and check them against its
        SHA256SUMS.txt; if False, absent files raise ``FileNotFoundError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    cache : bool, default=True
        Keep the extracted beats in the cache folder (see :func:`get_cache_dir`).
    n_jobs : int or None, default=None
        Records read and segmented at once (joblib), as in :func:`load_mitbih`.
    verbose : int, default=0
        Show a progress bar over the records when > 0.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of float32, shape (n_beats, 187 [+ 8])
            Beats in [0, 1], zero-padded at the end, 125 Hz; then the 8 RR
            features with ``rr_features="append"``.
        target : ndarray of int64, shape (n_beats,)
            0 healthy control, 1 myocardial infarction.
        target_names : ndarray of str
            ``["healthy", "MI"]``.
        groups : ndarray of str, shape (n_beats,)
            Patient of each beat (``"patient001"``); a patient may have several
            records, so split by ``groups`` to keep patients apart.
        record : ndarray of str, shape (n_beats,)
            Record of each beat.
        r_peak : ndarray of int64, shape (n_beats,)
            Detected R peak, sample index at the record's 1000 Hz.
        rr : ndarray of float32, shape (n_beats, 8)
            RR-interval features, unless ``rr_features=False``.
        rr_names : list of str
            Names of the ``rr`` columns.
        feature_names : list of str
            ``ii_t000 ... ii_t186``.
        fs : float
            125.0.
        DESCR : str
            Description and citations.

    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from ecgaug.datasets import load_ptb
    >>> ptb = load_ptb(records=["patient001/s0010_re"])  # doctest: +SKIP
    >>> ptb.target_names[ptb.target[0]]  # doctest: +SKIP
    'MI'
    """
    if segmentation != "detector":
        raise ValueError(
            f"segmentation={segmentation!r} is not available for PTB: it has no beat "
            "annotations, so only segmentation='detector' applies."
        )
    if detector not in DETECTORS:
        raise ValueError(f"Unknown detector {detector!r}; use one of {DETECTORS}.")
    check_rr_option(rr_features)
    db_dir = get_data_home(data_home) / DB
    records = _check_records(records, db_dir, download_if_missing)
    ensure_records(
        DB, db_dir, records, annotator=None, download_if_missing=download_if_missing
    )
    headers = {r: read_header(db_dir, r) for r in records}
    available = sorted({n.lower() for h in headers.values() for n in h.sig_name})
    if lead.lower() not in available:
        raise ValueError(f"Unknown lead {lead!r}; the records have {available}.")
    labels = {r: _label(h) for r, h in headers.items()}
    kept = [r for r in records if labels[r] is not None]
    lacking = [r for r in kept if lead.lower() not in _lower(headers[r].sig_name)]
    if lacking:
        warnings.warn(
            f"Records {lacking} lack lead {lead!r} and were skipped.",
            UserWarning,
            stacklevel=2,
        )
    kept = [r for r in kept if r not in lacking]
    cache_dir = get_cache_dir() if cache else None

    channels = [_lower(headers[r].sig_name).index(lead.lower()) for r in kept]
    tasks = [(db_dir, cache_dir, r, c, detector) for r, c in zip(kept, channels)]
    beats = parallel_map(
        _record_beats, tasks, n_jobs=n_jobs, desc="PTB records", verbose=verbose
    )
    parts = dict(zip(kept, beats))
    sizes = [len(p["r_peak"]) for p in parts.values()]
    lead_name = lead.lower()
    rr = np.concatenate(
        [p["rr"] for p in parts.values()] or [np.zeros((0, len(RR_FEATURE_NAMES)))]
    ).astype(np.float32)
    data, names, extra = with_rr(
        np.concatenate(
            [p["data"] for p in parts.values()] or [np.zeros((0, N_SAMPLES))]
        ),
        feature_names([lead_name]),
        rr,
        rr_features,
    )
    return make_bunch(
        data=data,
        target=np.repeat([labels[r] for r in parts], sizes).astype(np.int64),
        target_names=PTB_TARGET_NAMES,
        return_X_y=return_X_y,
        groups=np.repeat([r.split("/")[0] for r in parts], sizes).astype(str),
        record=np.repeat(list(parts), sizes).astype(str),
        r_peak=np.concatenate(
            [p["r_peak"] for p in parts.values()] or [np.zeros(0, np.int64)]
        ),
        **extra,
        feature_names=names,
        fs=float(TARGET_FS),
        DESCR=load_descr("ptb.rst"),
    )


def _lower(names) -> list[str]:
    return [n.lower() for n in names]
