"""Reading WFDB records and annotations with ``wfdb``, refusing damaged files.

Every read checks what the WFDB format itself lets us check: the signal file is
as long as the header says (a truncated ``.dat`` would otherwise surface as a
reshape error deep inside ``wfdb``), and the 16-bit sum of every signal equals
the checksum written in the header. Annotation files are checked against the
signal they describe: not empty, ending with the WFDB end-of-file marker (a
truncated file lacks it), annotations inside the record and reaching to within
``ANNOTATION_END_TOLERANCE_S`` of its end. These checks hold without
PhysioNet's SHA256 manifests. Failures are ``ValueError`` s that name the file
and the fix; a missing file is a ``FileNotFoundError``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import wfdb

__all__ = [
    "read_annotation",
    "read_header",
    "read_signal",
    "record_files",
    "signal_to_physical",
]

# Bytes per sample of the WFDB storage formats whose size is fixed
# (https://physionet.org/physiotools/wag/signal-5.htm). Compressed FLAC formats
# (508, 516, 524) have no fixed size and are not length-checked.
_BYTES_PER_SAMPLE = {
    "8": 1,
    "16": 2,
    "24": 3,
    "32": 4,
    "61": 2,
    "80": 1,
    "160": 2,
    "212": 1.5,
    "310": 4 / 3,
    "311": 4 / 3,
}

#: Longest time (seconds) allowed between the last annotation of a record and
#: the end of its signal. Over the 48 MIT-BIH Arrhythmia records the largest gap
#: is 633 samples (1.76 s, record 232; the longest pause between two annotations
#: there is 5.9 s), so 10 s accepts every real record while an annotation file
#: that lost its end (half of record 100 is 15 minutes) cannot pass.
ANNOTATION_END_TOLERANCE_S = 10.0

# Every WFDB annotation file ends with a zero annotation code at zero time
# (https://physionet.org/physiotools/wag/annot-5.htm); wfdb.wrann writes it too.
_ANNOTATION_EOF = b"\x00\x00"

_REDOWNLOAD = (
    "Delete it and call the loader with download_if_missing=True to fetch a fresh "
    "copy from PhysioNet, or replace it with PhysioNet's file."
)


def _record_path(db_dir: Path, record: str) -> Path:
    return Path(db_dir) / record


def read_header(db_dir: Path, record: str) -> wfdb.Record:
    """Read the header (``.hea``) of ``record`` in ``db_dir``.

    Raises ``FileNotFoundError`` when it is absent and ``ValueError`` when
    ``wfdb`` cannot parse it. Parsed headers are memoised by (path, size,
    mtime), so the returned object is shared: do not modify it.
    """
    path = _record_path(db_dir, record).with_name(Path(record).name + ".hea")
    if not path.is_file():
        raise FileNotFoundError(f"WFDB header {path} not found.")
    stat = path.stat()
    return _read_header_cached(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _read_header_cached(path: str, size: int, mtime_ns: int) -> wfdb.Record:
    try:
        return wfdb.rdheader(path[: -len(".hea")])
    except Exception as exc:  # wfdb raises bare Exceptions on malformed headers
        raise ValueError(
            f"Cannot parse the WFDB header {path}: {exc}. {_REDOWNLOAD}"
        ) from exc


def record_files(
    db_dir: Path,
    record: str,
    *,
    annotator: str | None = None,
    channels: Sequence[int] | None = None,
) -> list[Path]:
    """The files of ``record``: header, signal files, annotation file.

    Only the signal files holding ``channels`` when given, else all. Signal file
    names come from the header, so the header must exist; a missing header gives
    only the header itself (the rest cannot be known without it).
    """
    rec_path = _record_path(db_dir, record)
    header_path = rec_path.with_name(rec_path.name + ".hea")
    if not header_path.is_file():
        return [header_path]
    header = read_header(db_dir, record)
    files = [header_path]
    names = header.file_name or []
    if channels is not None:
        names = [names[ch] for ch in channels]
    for name in dict.fromkeys(names):
        files.append(rec_path.parent / name)
    if annotator is not None:
        files.append(rec_path.with_name(f"{rec_path.name}.{annotator}"))
    return files


def _check_signal_files(header: wfdb.Record, db_dir: Path, record: str) -> None:
    """Raise if a signal file is missing or shorter than the header says."""
    parent = _record_path(db_dir, record).parent
    if header.sig_len is None:
        return
    for name in dict.fromkeys(header.file_name):
        path = parent / name
        if not path.is_file():
            raise FileNotFoundError(
                f"Signal file {path} of record {record} not found (it is listed in "
                f"{record}.hea)."
            )
        in_file = [i for i, f in enumerate(header.file_name) if f == name]
        if any(header.fmt[i] not in _BYTES_PER_SAMPLE for i in in_file):
            continue  # compressed or exotic format: wfdb's own checks apply
        spf = header.samps_per_frame or [1] * header.n_sig
        frame_bytes = sum(
            _BYTES_PER_SAMPLE[header.fmt[i]] * (spf[i] or 1) for i in in_file
        )
        offset = (header.byte_offset or [None] * header.n_sig)[in_file[0]] or 0
        expected = offset + math.ceil(header.sig_len * frame_bytes)
        size = path.stat().st_size
        if size < expected:
            raise ValueError(
                f"Signal file {path} is truncated: its header says {header.sig_len} "
                f"samples per signal ({expected} bytes) but the file has {size} bytes. "
                + _REDOWNLOAD
            )


def read_signal(
    db_dir: Path, record: str, channels: Sequence[int]
) -> tuple[np.ndarray, wfdb.Record]:
    """Read ``channels`` of ``record`` as raw ADC integers, checked against the header.

    Parameters
    ----------
    db_dir : pathlib.Path
        The database folder, e.g. ``data_home / "mitdb"``.
    record : str
        Record name relative to ``db_dir`` (``"100"``, ``"patient001/s0010_re"``).
    channels : sequence of int
        Signal indices to read.

    Returns
    -------
    d_signal : ndarray of int64, shape (sig_len, len(channels))
        The digital samples, exactly as stored.
    record : wfdb.Record
        The record object (``fs``, ``adc_gain``, ``baseline``, ``sig_name``...).
    """
    header = read_header(db_dir, record)
    _check_signal_files(header, db_dir, record)
    path = _record_path(db_dir, record)
    try:
        rec = wfdb.rdrecord(str(path), channels=list(channels), physical=False)
    except Exception as exc:
        raise ValueError(
            f"wfdb cannot read the signals of {path}: {exc}. {_REDOWNLOAD}"
        ) from exc
    d_signal = np.asarray(rec.d_signal, dtype=np.int64)
    if rec.checksum is not None:
        computed = rec.calc_checksum()
        for k, (stored, got) in enumerate(zip(rec.checksum, computed)):
            if stored is not None and (int(stored) - int(got)) % 65536 != 0:
                raise ValueError(
                    f"Signal {rec.sig_name[k]!r} in {path.parent / rec.file_name[k]} "
                    f"fails the checksum in {path}.hea (header says {stored}, the "
                    f"samples sum to {got} modulo 65536): the file is corrupt. "
                    + _REDOWNLOAD
                )
    return d_signal, rec


def signal_to_physical(d_signal: np.ndarray, rec: wfdb.Record) -> np.ndarray:
    """Convert ADC integers to physical units (usually mV) as float64."""
    gain = np.asarray(rec.adc_gain, dtype=np.float64)
    baseline = np.asarray(rec.baseline, dtype=np.float64)
    return (d_signal - baseline) / gain


def read_annotation(
    db_dir: Path, record: str, annotator: str = "atr"
) -> wfdb.Annotation:
    """Read the ``annotator`` file of ``record`` (all annotations, in file order).

    The file must be whole and cover the signal (see the module docstring);
    otherwise a ``ValueError`` names the file and the fix.
    """
    path = _record_path(db_dir, record)
    ann_path = path.with_name(f"{path.name}.{annotator}")
    if not ann_path.is_file():
        raise FileNotFoundError(f"Annotation file {ann_path} not found.")
    _check_annotation_file(ann_path)
    try:
        ann = wfdb.rdann(str(path), annotator)
    except Exception as exc:
        raise ValueError(
            f"wfdb cannot read the annotations {ann_path}: {exc}. {_REDOWNLOAD}"
        ) from exc
    if len(ann.sample) > 1 and np.any(np.diff(ann.sample) < 0):
        raise ValueError(
            f"Annotations in {ann_path} are not in time order: the file is corrupt."
        )
    _check_annotation_coverage(ann, ann_path, read_header(db_dir, record))
    return ann


def _check_annotation_file(ann_path: Path) -> None:
    """Raise if the annotation file is empty or lacks its end-of-file marker."""
    size = ann_path.stat().st_size
    if size == 0:
        raise ValueError(
            f"Annotation file {ann_path} is empty: every beat of the record would "
            f"be lost. {_REDOWNLOAD}"
        )
    with open(ann_path, "rb") as f:
        f.seek(max(size - len(_ANNOTATION_EOF), 0))
        tail = f.read()
    if size % 2 or tail != _ANNOTATION_EOF:
        raise ValueError(
            f"Annotation file {ann_path} is truncated: it does not end with the "
            f"WFDB end-of-file marker (two zero bytes), so the annotations after "
            f"the cut are lost. {_REDOWNLOAD}"
        )


def _check_annotation_coverage(
    ann: wfdb.Annotation, ann_path: Path, header: wfdb.Record
) -> None:
    """Raise unless the annotations lie inside the signal and reach its end."""
    if header.sig_len is None or not header.fs:
        return
    samples = np.asarray(ann.sample)
    if len(samples) == 0:
        raise ValueError(
            f"Annotation file {ann_path} holds no annotations: every beat of the "
            f"record would be lost. {_REDOWNLOAD}"
        )
    first, last = int(samples[0]), int(samples[-1])
    if first < 0 or last >= header.sig_len:
        raise ValueError(
            f"Annotation file {ann_path} has annotations at samples {first}..{last}, "
            f"outside the record's {header.sig_len} samples: it is corrupt or "
            f"belongs to another record. {_REDOWNLOAD}"
        )
    gap_s = (header.sig_len - 1 - last) / float(header.fs)
    if gap_s > ANNOTATION_END_TOLERANCE_S:
        raise ValueError(
            f"Annotation file {ann_path} ends {gap_s:.1f} s before the end of the "
            f"signal (its last annotation is at sample {last} of {header.sig_len}; "
            f"at most {ANNOTATION_END_TOLERANCE_S:g} s is allowed): the file is "
            f"truncated and the beats after it would be lost. {_REDOWNLOAD}"
        )
