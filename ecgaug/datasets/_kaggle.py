"""``load_kaggle_heartbeat``: the public Kachuee et al. 2018 CSVs, as a Bunch."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from ._aami import AAMI_CLASSES
from ._bunch import feature_names, load_descr, make_bunch
from ._ptb import PTB_TARGET_NAMES
from ._segmentation import N_SAMPLES

__all__ = ["load_kaggle_heartbeat"]

_N_COLUMNS = N_SAMPLES + 1
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def _open_text(path: Path) -> TextIO:
    """``path`` opened as UTF-8 text, decompressed when it is gzip data.

    Gzip is recognised by its magic bytes, whatever the file is called
    (``mitbih_train.csv.gz``); a zip archive (Kaggle's ``archive.zip``) is
    refused with the fix.
    """
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == _GZIP_MAGIC:
        return gzip.open(path, "rt", encoding="utf-8")
    if magic == _ZIP_MAGIC:
        raise ValueError(
            f"{path} is a zip archive; extract the CSVs from it and pass their paths."
        )
    return open(path, encoding="utf-8")


def _read_csv(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found. The CSVs (mitbih_train.csv, mitbih_test.csv, "
            "ptbdb_normal.csv, ptbdb_abnormal.csv) are Kaggle's 'ECG Heartbeat "
            "Categorization Dataset'; download them there and pass their path."
        )
    n_rows = 0
    try:
        with _open_text(path) as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                n_rows += 1
                n_columns = line.count(",") + 1
                if n_columns != _N_COLUMNS:
                    raise ValueError(
                        f"{path} line {line_no} has {n_columns} columns, expected "
                        f"{_N_COLUMNS} (187 samples, then the label) as in the "
                        "public Kachuee et al. 2018 CSVs; this is not one of those "
                        "files."
                    )
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(
            f"{path} is not a text CSV ({type(exc).__name__}: {exc}); pass the "
            "Kaggle CSV itself (plain or gzip-compressed)."
        ) from exc
    if n_rows == 0:
        raise ValueError(
            f"{path} is empty: it holds no beats. Download the Kaggle CSV again; "
            "each row is 187 samples, then the label."
        )
    try:
        with _open_text(path) as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path} is not a numeric CSV: {exc}") from exc
    if not np.isfinite(table).all():
        row = int(np.argwhere(~np.isfinite(table))[0, 0]) + 1
        raise ValueError(f"{path} has NaN or infinite values (line {row}).")
    return table


def load_kaggle_heartbeat(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    return_X_y: bool = False,
):
    """Read the public Kachuee et al. 2018 heartbeat CSVs into a Bunch.

    Many users already have Kaggle's "ECG Heartbeat Categorization Dataset":
    ``mitbih_train.csv``, ``mitbih_test.csv`` (MIT-BIH, AAMI classes 0..4) and
    ``ptbdb_normal.csv``, ``ptbdb_abnormal.csv`` (PTB, 0 healthy / 1 MI). Each
    row is 187 beat samples then the label, no header. The MIT-BIH rows are
    exactly what ``load_mitbih(segmentation="kachuee")`` builds from the
    records; that loader also knows each beat's record.

    Parameters
    ----------
    path : str, path-like, or sequence of them
        One CSV, or several of the same database to concatenate in the order
        given (e.g. ``["ptbdb_normal.csv", "ptbdb_abnormal.csv"]``). A
        gzip-compressed CSV (``mitbih_train.csv.gz``) is read as it is.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of float32, shape (n_beats, 187)
            The beats, values as stored (float32 written in full precision).
        target : ndarray of int64, shape (n_beats,)
            The last column.
        target_names : ndarray of str
            ``["N", "S", "V", "F", "Q"]`` for MIT-BIH files, ``["healthy",
            "MI"]`` for PTB files (file names starting with ``ptbdb``).
        groups : None
            The CSVs do not say which record a beat came from, so patient-wise
            splits are impossible with them; use :func:`load_mitbih`.
        r_peak : None
            Unknown, as ``groups``.
        source : ndarray of str, shape (n_beats,)
            The file each beat was read from.
        feature_names : list of str
            ``t000 ... t186``.
        fs : float
            120.0 for MIT-BIH files (every 3rd sample of 360 Hz), 125.0 for PTB
            files (the rate Kachuee et al. state; not verified here).
        DESCR : str
            Description and citations.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        When a file is empty, is not a text CSV (a zip archive, binary data),
        does not have 188 columns, is not numeric, has labels that are not
        whole numbers in range, or when MIT-BIH and PTB files are mixed.

    Examples
    --------
    >>> from ecgaug.datasets import load_kaggle_heartbeat
    >>> train = load_kaggle_heartbeat("mitbih_train.csv")  # doctest: +SKIP
    >>> train.data.shape  # doctest: +SKIP
    (87554, 187)
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        raise ValueError("path is empty; give at least one CSV file.")
    paths = [Path(p) for p in paths]
    is_ptb = {p.name.lower().startswith("ptbdb") for p in paths}
    if len(is_ptb) > 1:
        raise ValueError(
            "Cannot mix MIT-BIH and PTB CSVs: their labels mean different things."
        )
    names = PTB_TARGET_NAMES if is_ptb.pop() else AAMI_CLASSES
    tables = [_read_csv(p) for p in paths]
    table = np.concatenate(tables)
    labels = table[:, -1]
    if np.any(labels != np.round(labels)) or np.any(
        (labels < 0) | (labels >= len(names))
    ):
        raise ValueError(
            f"Labels (last column) of {[str(p) for p in paths]} must be whole numbers "
            f"in 0..{len(names) - 1} ({', '.join(names)}); found "
            f"{np.unique(labels)[:10].tolist()}."
        )
    return make_bunch(
        data=table[:, :N_SAMPLES].astype(np.float32),
        target=labels.astype(np.int64),
        target_names=names,
        return_X_y=return_X_y,
        groups=None,
        r_peak=None,
        source=np.repeat([str(p) for p in paths], [len(t) for t in tables]),
        feature_names=feature_names(None),
        fs=125.0 if names is PTB_TARGET_NAMES else 120.0,
        DESCR=load_descr("kaggle.rst"),
    )
