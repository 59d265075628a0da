"""``load_mitbih``: AAMI-labelled heartbeats of the MIT-BIH Arrhythmia Database."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._parallel import parallel_map
from ._aami import AAMI_CLASSES, aami_labels
from ._bunch import feature_names, load_descr, make_bunch
from ._cache import cache_path, fingerprint, load_cached, save_cached
from ._detectors import DETECTORS, detect_r_peaks, match_peaks
from ._fetch import ensure_records, verify_sha256
from ._home import get_cache_dir, get_data_home
from ._records import (
    read_annotation,
    read_header,
    read_signal,
    record_files,
    signal_to_physical,
)
from ._rr import RR_VERSION, check_rr_option, with_rr
from ._rr import rr_features as beat_rr
from ._segmentation import (
    CONTEXT_FS,
    CONTEXT_SAMPLES,
    N_SAMPLES,
    TARGET_FS,
    context_segments,
    kachuee_segments,
    peak_segments,
    resample_to,
)
from ._splits import DS1, DS2, SPLITS, split_mask

__all__ = ["MITDB_RECORDS", "SEGMENTATIONS", "load_mitbih"]

DB = "mitdb"
ANNOTATOR = "atr"
#: The 48 records of the MIT-BIH Arrhythmia Database.
MITDB_RECORDS = tuple(
    """100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119
    121 122 123 124 200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220
    221 222 223 228 230 231 232 233 234""".split()
)
SEGMENTATIONS = ("kachuee", "annotation", "detector", "context")
#: Sampling rate (Hz) of the beats of each segmentation.
_FS = {
    "kachuee": 120,
    "annotation": TARGET_FS,
    "detector": TARGET_FS,
    "context": CONTEXT_FS,
}
#: A detection takes the label of the annotated beat at most this far away (s).
MATCH_TOLERANCE_S = 0.150
#: Keep every third sample in ``segmentation="kachuee"``: 360 Hz -> 120 Hz.
KACHUEE_STEP = 3


def _check_records(records) -> list[str]:
    if records is None:
        return list(MITDB_RECORDS)
    if isinstance(records, (str, int)):
        records = [records]
    names = [str(r) for r in records]
    unknown = [r for r in names if r not in MITDB_RECORDS]
    if unknown:
        raise ValueError(
            f"Unknown MIT-BIH record(s) {unknown}; the database has the 48 records "
            f"{', '.join(MITDB_RECORDS)}."
        )
    if not names:
        raise ValueError("records is empty; pass None for all 48 records.")
    return list(dict.fromkeys(names))


def _select_channels(db_dir: Path, records: list[str], leads):
    """Channel indices per record and the records skipped for lacking a lead."""
    sig_names = {r: read_header(db_dir, r).sig_name for r in records}
    if leads is None:
        return {r: [0] for r in records}, [], None
    if isinstance(leads, str):
        leads = (leads,)
    leads = list(leads)
    if not leads:
        raise ValueError(
            "leads is empty; pass None for the first channel of each record."
        )
    available = sorted({name for names in sig_names.values() for name in names})
    unknown = [lead for lead in leads if lead not in available]
    if unknown:
        raise ValueError(
            f"Unknown lead(s) {unknown}: no record among those asked for has them. "
            f"Leads available: {available} (names are case-sensitive)."
        )
    channels, skipped = {}, []
    for r in records:
        if all(lead in sig_names[r] for lead in leads):
            channels[r] = [sig_names[r].index(lead) for lead in leads]
        else:
            skipped.append(r)
    if skipped:
        warnings.warn(
            f"Records {skipped} lack lead(s) {leads} (they have "
            f"{[sig_names[r] for r in skipped]}) and were skipped.",
            UserWarning,
            stacklevel=3,
        )
    if not channels:
        raise ValueError(
            f"No record among those asked for has all of the leads {leads}."
        )
    return channels, skipped, leads


def _extract(
    db_dir: Path, record: str, channels: list[int], segmentation: str, detector: str
) -> dict[str, np.ndarray]:
    """Beats of one record, uncached."""
    verify_sha256(
        db_dir, record_files(db_dir, record, annotator=ANNOTATOR, channels=channels)
    )
    d_signal, rec = read_signal(db_dir, record, channels)
    ann = read_annotation(db_dir, record, ANNOTATOR)
    symbols = np.asarray(ann.symbol, dtype=str)
    labels = aami_labels(ann.symbol)
    if not np.any(labels >= 0):
        raise ValueError(
            f"Record {record} has no beat annotations in "
            f"{db_dir / record}.{ANNOTATOR}: the file is damaged or not MIT-BIH's. "
            "Delete it and call load_mitbih with download_if_missing=True to fetch "
            "a fresh copy, or leave the record out with records=[...]."
        )
    samples = np.asarray(ann.sample, dtype=np.int64)
    fs = float(rec.fs)
    beat = labels >= 0
    # RR features from every annotated beat: neighbours count even when dropped.
    rr = beat_rr(samples[beat], fs)
    if segmentation == "kachuee":
        X, idx = kachuee_segments(d_signal, samples, beat, step=KACHUEE_STEP)
        return {
            "data": X,
            "target": labels[idx],
            "r_peak": samples[idx],
            "symbol": symbols[idx],
            "rr": rr[np.searchsorted(np.flatnonzero(beat), idx)],
        }
    if segmentation == "context":
        signal = resample_to(signal_to_physical(d_signal, rec), fs, CONTEXT_FS)
        peaks = np.rint(samples[beat] * (CONTEXT_FS / fs)).astype(np.int64)
        return {
            "data": context_segments(signal, peaks, CONTEXT_FS),
            "target": labels[beat],
            "r_peak": samples[beat],
            "symbol": symbols[beat],
            "rr": rr,
        }
    signal = resample_to(signal_to_physical(d_signal, rec), fs, TARGET_FS)
    ref = samples[beat] * (TARGET_FS / fs)  # annotated R peaks at 125 Hz
    if segmentation == "annotation":
        peaks = np.clip(np.rint(ref).astype(np.int64), 0, len(signal) - 1)
        return {
            "data": peak_segments(signal, peaks, TARGET_FS),
            "target": labels[beat],
            "r_peak": samples[beat],
            "symbol": symbols[beat],
            "rr": rr,
        }
    peaks = detect_r_peaks(signal[:, 0], TARGET_FS, detector)
    X = peak_segments(signal, peaks, TARGET_FS)
    match = match_peaks(
        peaks, np.rint(ref).astype(np.int64), MATCH_TOLERANCE_S * TARGET_FS
    )
    keep = match >= 0
    matched = np.flatnonzero(beat)[match[keep]]
    return {
        "data": X[keep],
        "target": labels[matched],
        "r_peak": np.rint(peaks[keep] * (fs / TARGET_FS)).astype(np.int64),
        "symbol": symbols[matched],
        # The detector path sees only its detections, matched or not.
        "rr": beat_rr(peaks, TARGET_FS)[keep],
    }


def _record_beats(db_dir, cache_dir, record, channels, segmentation, detector):
    files = record_files(db_dir, record, annotator=ANNOTATOR, channels=channels)
    params = {
        "channels": channels,
        "segmentation": segmentation,
        "n_samples": CONTEXT_SAMPLES if segmentation == "context" else N_SAMPLES,
        "db_dir": str(db_dir),
        "rr_version": RR_VERSION,
    }
    if segmentation == "detector":
        params["detector"] = detector
    path = source = None
    if cache_dir is not None:
        path = cache_path(cache_dir, DB, record, params)
        source = fingerprint(files)
        cached = load_cached(path, source)
        if cached is not None:
            return cached
    beats = _extract(db_dir, record, channels, segmentation, detector)
    if path is not None:
        save_cached(path, beats, source)
    return beats


def load_mitbih(
    *,
    data_home: str | os.PathLike | None = None,
    split: str = "all",
    segmentation: str = "kachuee",
    leads: Sequence[str] | None = None,
    records: Sequence[str | int] | None = None,
    detector: str = "xqrs",
    rr_features: bool | str = True,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    cache: bool = True,
    n_jobs: int | None = None,
    verbose: int = 0,
):
    """Load AAMI-labelled heartbeats of the MIT-BIH Arrhythmia Database.

    Reads the WFDB records of PhysioNet's ``mitdb`` with ``wfdb``, cuts them
    into beats of 187 samples per lead, min-max normalised to [0, 1] and
    zero-padded, and labels each with its AAMI EC57 class: 0 N, 1 S, 2 V, 3 F,
    4 Q. Read more in ``DESCR`` (``print(load_mitbih().DESCR)``).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``mitdb/`` (see :func:`get_data_home`); by default
        ``$ECGAUG_DATA`` or ``~/ecgaug_data``.
    split : {"all", "train", "test", "DS1", "DS2"}, default="all"
        ``"train"``/``"test"``: the intra-patient split of the Kaggle CSVs,
        a stratified 80/20 split of the beats (``random_state=42``).
        ``"DS1"``/``"DS2"``: the inter-patient split of de Chazal et al. 2004
        (22 records each; paced records 102, 104, 107, 217 in neither).
    segmentation : {"kachuee", "annotation", "detector", "context"}, \
default="kachuee"
        ``"kachuee"``: the beats of the public Kaggle MIT-BIH CSVs, bit for bit
        (120 Hz). ``"annotation"``: every annotated beat, the signal
        resampled to 125 Hz, 1.2 median RR long. ``"detector"``: as
        ``"annotation"``, but on R peaks found by ``detector``; each detection
        takes the class of the annotated beat within 150 ms, and detections
        without one are dropped. ``"context"``: every annotated beat, a window
        of 340 samples at 100 Hz centred on its R peak (sample 170): 1.7 s on
        each side, which holds the previous and the next R peak for 99.1 % of
        the beats of the 48 records; the signal is high-passed at 0.5 Hz and
        each window min-max normalised (see the data guide for the
        measurements behind the window and the rate).
    leads : sequence of str, default=None
        Lead names to stack, e.g. ``("MLII",)`` or ``("MLII", "V1")``. By default
        the first channel of each record (MLII, except V5 in 102 and 104).
        Records lacking one of the leads are skipped with a ``UserWarning``
        naming them; ``("MLII",)`` skips 102 and 104.
    records : sequence of str or int, default=None
        Record names (e.g. ``[100, 101]``); by default all 48.
    detector : {"xqrs", "kachuee"}, default="xqrs"
        R-peak detector of ``segmentation="detector"``; ``"xqrs"`` is closer to
        the annotations (``benchmarks/detectors.py``).
    rr_features : bool or "append", default=True
        ``True``: add the RR-interval features of each beat to the Bunch
        (``rr`` and ``rr_names``; see :func:`rr_features`), computed from every
        annotated beat of the record (from the detections for
        ``segmentation="detector"``). ``"append"``: also append them to
        ``data`` as its last 8 columns (and to ``feature_names``), the layout
        ``ResNetClassifier(module__n_tabular=8)`` reads. ``False``: neither.
    download_if_missing : bool, default=True
        Download absent records from PhysioNet with ``wfdb`` and check them
        against PhysioNet's SHA256SUMS.txt. If False, absent files raise
        ``FileNotFoundError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    cache : bool, default=True
        Keep the extracted beats in the cache folder (``$ECGAUG_CACHE`` or
        ``~/.cache/ecgaug``; see :func:`get_cache_dir`), one checked ``.npz``
        per record and set of parameters.
    n_jobs : int or None, default=None
        Records read and segmented at once (joblib); ``None`` means 1 unless in
        a :func:`joblib.parallel_config` context, ``-1`` all CPUs. The beats
        are the same, in the same order.
    verbose : int, default=0
        Show a progress bar over the records when > 0.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of float32, shape (n_beats, n_leads * T [+ 8])
            Beats, lead-major; each lead min-max normalised on its own;
            ``T`` is 187, or 340 for ``"context"``. With
            ``rr_features="append"``, the 8 RR features follow.
        target : ndarray of int64, shape (n_beats,)
            AAMI class, index into ``target_names``.
        target_names : ndarray of str
            ``["N", "S", "V", "F", "Q"]``.
        groups : ndarray of str, shape (n_beats,)
            Record of each beat (e.g. ``"100"``), for ``GroupKFold``.
        r_peak : ndarray of int64, shape (n_beats,)
            Sample of the beat's R peak at 360 Hz (annotation or detection).
        symbol : ndarray of str, shape (n_beats,)
            WFDB annotation symbol of the beat (``"N"``, ``"A"``, ``"V"``...).
        rr : ndarray of float32, shape (n_beats, 8)
            RR-interval features (seconds and ratios), unless
            ``rr_features=False``.
        rr_names : list of str
            Names of the ``rr`` columns (``"pre_rr"``, ``"post_rr"``, ...).
        feature_names : list of str
            ``t000 ... t186``, or ``MLII_t000 ...`` when ``leads`` is given,
            then the ``rr_names`` with ``rr_features="append"``.
        fs : float
            Sampling rate of the beats: 120 for ``"kachuee"``, 100 for
            ``"context"``, else 125.
        DESCR : str
            Description of the data set, the recipes and the citations.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        For an unknown split, segmentation, detector, record or lead, and for a
        record file that fails its header checksum or PhysioNet's SHA256.
    FileNotFoundError
        For record files that are absent and could not be downloaded.

    Examples
    --------
    >>> from ecgaug.datasets import load_mitbih
    >>> mit = load_mitbih(records=[100, 101])  # doctest: +SKIP
    >>> mit.data.shape, mit.data.dtype  # doctest: +SKIP
    ((4130, 187), dtype('float32'))
    >>> X_train, y_train = load_mitbih(split="DS1", return_X_y=True)  # doctest: +SKIP
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; use one of {SPLITS}.")
    if segmentation not in SEGMENTATIONS:
        raise ValueError(
            f"Unknown segmentation {segmentation!r}; use one of {SEGMENTATIONS}."
        )
    if detector not in DETECTORS:
        raise ValueError(f"Unknown detector {detector!r}; use one of {DETECTORS}.")
    check_rr_option(rr_features)
    records = _check_records(records)
    if split in ("DS1", "DS2"):
        side = DS1 if split == "DS1" else DS2
        records = [r for r in records if r in side]
        if not records:
            raise ValueError(f"None of the records asked for is in {split}: {side}.")

    db_dir = get_data_home(data_home) / DB
    ensure_records(
        DB,
        db_dir,
        records,
        annotator=ANNOTATOR,
        download_if_missing=download_if_missing,
    )
    channels, _, lead_names = _select_channels(db_dir, records, leads)
    cache_dir = get_cache_dir() if cache else None

    tasks = [
        (db_dir, cache_dir, record, channels[record], segmentation, detector)
        for record in channels
    ]
    beats = parallel_map(
        _record_beats, tasks, n_jobs=n_jobs, desc="MIT-BIH records", verbose=verbose
    )
    parts = dict(zip(channels, beats))
    n_samples = CONTEXT_SAMPLES if segmentation == "context" else N_SAMPLES
    n_features = len(next(iter(channels.values()))) * n_samples
    data = np.concatenate([p["data"] for p in parts.values()]).reshape(-1, n_features)
    target = np.concatenate([p["target"] for p in parts.values()]).astype(np.int64)
    groups = np.concatenate([np.full(len(p["target"]), r) for r, p in parts.items()])
    r_peak = np.concatenate([p["r_peak"] for p in parts.values()]).astype(np.int64)
    symbol = np.concatenate([p["symbol"] for p in parts.values()]).astype(str)

    rr = np.concatenate([p["rr"] for p in parts.values()]).astype(np.float32)
    data, names, extra = with_rr(
        data, feature_names(lead_names, n_samples), rr, rr_features
    )

    mask = split_mask(split, target, groups)
    extra = {key: v[mask] if key == "rr" else v for key, v in extra.items()}
    return make_bunch(
        data=data[mask],
        target=target[mask],
        target_names=AAMI_CLASSES,
        return_X_y=return_X_y,
        groups=groups[mask],
        r_peak=r_peak[mask],
        symbol=symbol[mask],
        **extra,
        feature_names=names,
        fs=float(_FS[segmentation]),
        DESCR=load_descr("mitbih.rst"),
    )
