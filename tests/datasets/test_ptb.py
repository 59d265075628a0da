"""load_ptb on the staged PTB record (patient001/s0010_re, myocardial infarction)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import wfdb
from scipy.signal import resample_poly

from ecgaug.datasets import load_ptb

RECORD = "patient001/s0010_re"


def test_staged_record_gives_mi_beats(ptb_home):
    ptb = load_ptb(data_home=ptb_home)
    assert ptb.data.dtype == np.float32 and ptb.data.shape[1] == 187
    assert set(ptb.target.tolist()) == {1} and list(ptb.target_names) == [
        "healthy",
        "MI",
    ]
    assert set(ptb.groups.tolist()) == {"patient001"}
    assert set(ptb.record.tolist()) == {RECORD}
    assert ptb.data.min() == 0.0 and ptb.data.max() == 1.0
    assert ptb.feature_names[0] == "ii_t000" and ptb.fs == 125.0
    # 38.4 s of sinus rhythm at ~82 bpm. The RR found on lead ii agrees with an
    # independent detection on lead v5 of the same record.
    v5 = wfdb.rdrecord(str(ptb_home / "ptbdb" / RECORD), channel_names=["v5"])
    peaks_v5 = wfdb.processing.xqrs_detect(
        resample_poly(v5.p_signal[:, 0], 1, 8), fs=125, verbose=False
    )
    rr_v5 = np.median(np.diff(peaks_v5)) * 8  # ms
    assert abs(np.median(np.diff(ptb.r_peak)) - rr_v5) <= 16
    assert abs(len(ptb.target) - len(peaks_v5)) <= 2
    again = load_ptb(data_home=ptb_home, records=[RECORD], cache=False)
    assert np.array_equal(again.data, ptb.data)


def test_labels_come_from_the_header(ptb_home, tmp_path):
    home = tmp_path / "home"
    src = ptb_home / "ptbdb" / "patient001"
    for reason, expected in [("Healthy control", 0), ("Cardiomyopathy", None)]:
        dst = home / "ptbdb" / "patient001"
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
        hea = dst / "s0010_re.hea"
        hea.write_text(
            hea.read_text().replace("Myocardial infarction", reason), newline=""
        )
        ptb = load_ptb(data_home=home, cache=False)
        if expected is None:
            assert ptb.data.shape == (0, 187)
        else:
            assert set(ptb.target.tolist()) == {expected}


def test_bad_input(ptb_home):
    with pytest.raises(ValueError, match="Unknown lead 'ii2'"):
        load_ptb(data_home=ptb_home, lead="ii2")
    with pytest.raises(ValueError, match="only segmentation='detector'"):
        load_ptb(data_home=ptb_home, segmentation="kachuee")
    with pytest.raises(ValueError, match=r"Unknown PTB record\(s\) \['s0010_re'\]"):
        load_ptb(data_home=ptb_home, records=["s0010_re"])
    with pytest.raises(FileNotFoundError, match=r"s0014lre\.hea .*download_if_missing"):
        load_ptb(
            data_home=ptb_home,
            records=["patient001/s0014lre"],
            download_if_missing=False,
        )


def test_other_lead_is_case_insensitive(ptb_home):
    v5 = load_ptb(data_home=ptb_home, lead="V5")
    assert v5.feature_names[0] == "v5_t000" and len(v5.target) > 40
