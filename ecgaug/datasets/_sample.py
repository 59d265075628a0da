"""``load_sample``: 2,500 real MIT-BIH beats shipped inside the package."""

from __future__ import annotations

from importlib import resources

import numpy as np

from ._aami import AAMI_CLASSES
from ._bunch import feature_names, load_descr, make_bunch
from ._rr import RR_FEATURE_NAMES
from ._splits import DS1, DS2

__all__ = ["load_sample"]

_SAMPLE_FILE = "mitbih_sample.npz"
_SAMPLE_SPLITS = ("all", "train", "test", "DS1", "DS2")
_ARRAYS = ("data", "target", "groups", "r_peak", "symbol", "is_test")


def load_sample(*, split: str = "all", return_X_y: bool = False):
    """Load a small sample of real MIT-BIH heartbeats shipped with ecgaug.

    2,500 beats of ``load_mitbih(segmentation="kachuee")`` (the beats of the
    public Kaggle MIT-BIH CSVs, 187 samples at 120 Hz, values unchanged) drawn
    with a fixed seed from all 48 records: N 1500, S 250, V 350, F 150, Q 250.
    It needs no download and loads in milliseconds, for demos and tests.
    Built by ``tools/make_sample.py``; PhysioNet data under ODC-By 1.0 (see
    ``DESCR`` for the citations).

    Parameters
    ----------
    split : {"all", "train", "test", "DS1", "DS2"}, default="all"
        ``"train"``/``"test"``: the beats that ``load_mitbih(split="train")`` /
        ``load_mitbih(split="test")`` put on that side of its stratified 80/20
        split (about 2,000 / 500 beats). ``"DS1"``/``"DS2"``: the beats of de
        Chazal's inter-patient training / test records (1,130 / 1,099
        beats; the 4 paced records are in neither).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of float32, shape (n_beats, 187)
            Beats min-max normalised to [0, 1], zero-padded at the end.
        target : ndarray of int64, shape (n_beats,)
            AAMI class, index into ``target_names``.
        target_names : ndarray of str
            ``["N", "S", "V", "F", "Q"]``.
        groups : ndarray of str, shape (n_beats,)
            MIT-BIH record of each beat.
        r_peak : ndarray of int64, shape (n_beats,)
            Sample of the annotated R peak in the record (360 Hz).
        symbol : ndarray of str, shape (n_beats,)
            WFDB annotation symbol.
        is_test : ndarray of bool, shape (n_beats,)
            Membership of ``load_mitbih``'s 80/20 test split.
        rr : ndarray of float32, shape (n_beats, 8)
            RR-interval features of each beat (see
            :func:`~ecgaug.datasets.rr_features`), computed from every annotated
            beat of its record when the sample was built (the sample's beats
            are not consecutive).
        rr_names : list of str
            Names of the ``rr`` columns.
        feature_names : list of str
            ``t000 ... t186``.
        fs : float
            Sampling rate of the beats, 120.0.
        DESCR : str
            Description and citations.

    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from ecgaug.datasets import load_sample
    >>> sample = load_sample()
    >>> sample.data.shape, sample.data.dtype
    ((2500, 187), dtype('float32'))
    >>> X_train, y_train = load_sample(split="train", return_X_y=True)
    """
    if split not in _SAMPLE_SPLITS:
        raise ValueError(f"Unknown split {split!r}; use one of {_SAMPLE_SPLITS}.")
    ref = resources.files("ecgaug.datasets") / "data" / _SAMPLE_FILE
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in _ARRAYS}
        rr = npz["rr"] if "rr" in npz.files else None
    mask = {
        "all": np.ones(len(arrays["target"]), dtype=bool),
        "train": ~arrays["is_test"],
        "test": arrays["is_test"],
        "DS1": np.isin(arrays["groups"], DS1),
        "DS2": np.isin(arrays["groups"], DS2),
    }[split]
    return make_bunch(
        data=arrays["data"][mask],
        target=arrays["target"][mask],
        target_names=AAMI_CLASSES,
        return_X_y=return_X_y,
        groups=arrays["groups"][mask],
        r_peak=arrays["r_peak"][mask],
        symbol=arrays["symbol"][mask],
        is_test=arrays["is_test"][mask],
        **({} if rr is None else {"rr": rr[mask], "rr_names": list(RR_FEATURE_NAMES)}),
        feature_names=feature_names(None),
        fs=120.0,
        DESCR=load_descr("sample.rst"),
    )
