"""load_mitbih on the full MIT-BIH Arrhythmia Database (acceptance figures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgaug.datasets import AAMI_CLASSES, load_mitbih
from ecgaug.datasets._splits import split_mask

ROW0 = Path(__file__).parent / "data" / "kaggle_mitbih_train_row0.txt"


def _counts(bunch):
    return dict(zip(AAMI_CLASSES, np.bincount(bunch.target, minlength=5).tolist()))


def test_kachuee_counts_are_the_public_sets(kachuee_all):
    assert _counts(kachuee_all) == {
        "N": 90589,
        "S": 2779,
        "V": 7236,
        "F": 803,
        "Q": 8039,
    }
    assert kachuee_all.data.shape == (109446, 187)
    assert kachuee_all.fs == 120.0


def test_annotation_counts_are_the_annotation_counts(annotation_all):
    assert _counts(annotation_all) == {
        "N": 90631,
        "S": 2781,
        "V": 7236,
        "F": 803,
        "Q": 8043,
    }
    assert annotation_all.data.shape == (109494, 187)
    assert annotation_all.fs == 125.0


def test_kachuee_reproduces_public_row_bit_for_bit(kachuee_all, data_home):
    # First row of the public Kaggle mitbih_train.csv (Kachuee et al. 2018):
    # record 122, annotation 324; its first 100 values are in the fixture file.
    expected = np.zeros(187, dtype=np.float32)
    expected[:100] = np.loadtxt(ROW0, dtype=np.float32)
    ann = wfdb.rdann(str(data_home / "mitdb" / "122"), "atr")
    hit = np.flatnonzero(
        (kachuee_all.groups == "122") & (kachuee_all.r_peak == ann.sample[324])
    )
    assert len(hit) == 1
    assert np.array_equal(kachuee_all.data[hit[0]], expected)
    assert kachuee_all.target[hit[0]] == 0 and kachuee_all.symbol[hit[0]] == "N"


def test_beats_are_float32_in_unit_range_zero_padded(kachuee_all, annotation_all):
    for bunch in (kachuee_all, annotation_all):
        X, y = bunch.data, bunch.target
        assert X.dtype == np.float32 and X.flags.c_contiguous
        assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1, 2, 3, 4}
        assert X.min() == 0.0 and X.max() == 1.0
        assert np.isfinite(X).all()


def test_kachuee_padding_starts_where_the_segment_ends(kachuee_all, data_home):
    # Recompute each beat's segment length from the annotations of two records:
    # the samples after it are zero, and a segment that fits spans exactly [0, 1].
    for record in ("100", "208"):
        ann = wfdb.rdann(str(data_home / "mitdb" / record), "atr")
        sample = np.asarray(ann.sample)
        sig_len = wfdb.rdheader(str(data_home / "mitdb" / record)).sig_len
        nxt = np.append(sample[1:], sig_len)
        after = np.append(nxt[1:], sig_len)
        rows = np.flatnonzero(kachuee_all.groups == record)
        index = np.searchsorted(sample, kachuee_all.r_peak[rows])
        length = (nxt - sample + 0.2 * (after - nxt)).astype(int)[index]
        n_kept = -(-length // 3)  # ceil: samples kept by [::3]
        short = n_kept < 187
        assert short.mean() > 0.95
        for row, n in zip(rows[short], n_kept[short]):
            x = kachuee_all.data[row]
            assert not x[n:].any()
            assert x[:n].min() == 0.0 and x[:n].max() == 1.0


def test_groups_r_peak_symbol_fields(kachuee_all):
    assert kachuee_all.groups.dtype.kind == "U"
    assert len(np.unique(kachuee_all.groups)) == 48
    assert kachuee_all.r_peak.dtype == np.int64
    assert set(np.unique(kachuee_all.symbol)) == set("NLRejAaJSVEF/fQ")
    assert list(kachuee_all.target_names) == ["N", "S", "V", "F", "Q"]
    assert (
        kachuee_all.feature_names[0] == "t000" and len(kachuee_all.feature_names) == 187
    )
    assert "120 Hz" in kachuee_all.DESCR and "ODC-By" in kachuee_all.DESCR


def test_train_test_is_stratified_disjoint_and_covers_all(data_home, kachuee_all):
    train = load_mitbih(data_home=data_home, split="train")
    test = load_mitbih(data_home=data_home, split="test")
    key = lambda b: set(zip(b.groups.tolist(), b.r_peak.tolist()))  # noqa: E731
    assert not key(train) & key(test)
    assert key(train) | key(test) == key(kachuee_all)
    assert len(test.target) == pytest.approx(0.2 * len(kachuee_all.target), abs=1)
    full = np.bincount(kachuee_all.target)
    np.testing.assert_allclose(np.bincount(test.target) / full, 0.2, atol=0.002)
    again = load_mitbih(data_home=data_home, split="test")
    assert np.array_equal(again.data, test.data) and np.array_equal(
        again.r_peak, test.r_peak
    )


def test_ds1_ds2_are_de_chazals_records(data_home):
    # de Chazal, O'Dwyer, Reilly 2004, IEEE TBME 51(7), written out here on
    # purpose rather than imported from ecgaug.
    de_chazal_ds1 = (
        "101 106 108 109 112 114 115 116 118 119 122 124 "
        "201 203 205 207 208 209 215 220 223 230"
    ).split()
    de_chazal_ds2 = (
        "100 103 105 111 113 117 121 123 200 202 210 212 "
        "213 214 219 221 222 228 231 232 233 234"
    ).split()
    ds1 = load_mitbih(data_home=data_home, split="DS1")
    ds2 = load_mitbih(data_home=data_home, split="DS2")
    assert np.unique(ds1.groups).tolist() == de_chazal_ds1
    assert np.unique(ds2.groups).tolist() == de_chazal_ds2
    assert len(de_chazal_ds1) == len(de_chazal_ds2) == 22
    assert not set(ds1.groups) & set(ds2.groups)
    assert not (set(ds1.groups) | set(ds2.groups)) & {"102", "104", "107", "217"}
    assert set(np.unique(ds1.target)) == set(np.unique(ds2.target)) == {0, 1, 2, 3, 4}


def test_ds1_ds2_annotation_counts_are_the_published_ones(annotation_all):
    # The per-class beat counts of DS1/DS2 as published (de Chazal et al. 2004,
    # and the inter-patient literature since): every annotated beat counts.
    counts = {}
    for split in ("DS1", "DS2"):
        mask = split_mask(split, annotation_all.target, annotation_all.groups)
        counts[split] = np.bincount(annotation_all.target[mask]).tolist()
    assert counts == {
        "DS1": [45866, 944, 3788, 415, 8],
        "DS2": [44259, 1837, 3221, 388, 7],
    }


def test_deterministic(data_home, kachuee_all):
    again = load_mitbih(data_home=data_home, records=["105", "122"], cache=False)
    mask = np.isin(kachuee_all.groups, ["105", "122"])
    assert np.array_equal(again.data, kachuee_all.data[mask])
    assert np.array_equal(again.target, kachuee_all.target[mask])


def test_return_X_y(data_home):
    X, y = load_mitbih(data_home=data_home, records=[100], return_X_y=True)
    assert X.shape == (2272, 187) and y.dtype == np.int64
    assert np.bincount(y, minlength=5).tolist() == [2238, 33, 1, 0, 0]


def test_default_lead_is_first_channel_and_mlii_selects_by_name(data_home):
    first = load_mitbih(data_home=data_home, records=[114])
    with pytest.warns(UserWarning, match=r"\['102', '104'\].*skipped"):
        mlii = load_mitbih(
            data_home=data_home, records=[100, 102, 104, 114], leads=("MLII",)
        )
    assert set(np.unique(mlii.groups)) == {"100", "114"}
    assert mlii.feature_names[0] == "MLII_t000"
    on_114 = mlii.data[mlii.groups == "114"]
    assert on_114.shape == first.data.shape
    assert not np.array_equal(on_114, first.data)  # 114 starts with V5, not MLII


def test_two_leads_are_lead_major_each_normalised(data_home):
    one = load_mitbih(data_home=data_home, records=[101], leads=["MLII"])
    two = load_mitbih(data_home=data_home, records=[101], leads=["MLII", "V1"])
    v1 = load_mitbih(data_home=data_home, records=[101], leads="V1")
    assert two.data.shape == (len(one.target), 374)
    assert np.array_equal(two.data[:, :187], one.data)
    assert np.array_equal(two.data[:, 187:], v1.data)
    assert two.feature_names[187] == "V1_t000"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"split": "validation"}, "Unknown split 'validation'"),
        ({"segmentation": "pan-tompkins"}, "Unknown segmentation"),
        ({"detector": "hamilton"}, "Unknown detector"),
        ({"records": [100, 110]}, r"Unknown MIT-BIH record\(s\) \['110'\]"),
        ({"records": [100], "leads": ("aVF",)}, r"Unknown lead\(s\) \['aVF'\]"),
        ({"records": [100, 101], "leads": ("V2",)}, r"Unknown lead\(s\) \['V2'\]"),
        ({"records": [102], "split": "DS1"}, "None of the records asked for is in DS1"),
    ],
)
def test_bad_input_raises_value_error(data_home, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_mitbih(data_home=data_home, **kwargs)


def test_detector_segmentation_on_a_few_records(data_home, annotation_all):
    records = ["100", "105", "119"]
    det = load_mitbih(data_home=data_home, records=records, segmentation="detector")
    ann_mask = np.isin(annotation_all.groups, records)
    n_ann = ann_mask.sum()
    # XQRS finds nearly every annotated beat; the labels are those annotated.
    assert 0.97 * n_ann <= len(det.target) <= n_ann
    assert det.fs == 125.0 and det.data.dtype == np.float32
    for record in records:
        r_det = det.r_peak[det.groups == record]
        r_ann = annotation_all.r_peak[annotation_all.groups == record]
        t_ann = annotation_all.target[annotation_all.groups == record]
        nearest = np.abs(r_det[:, None] - r_ann[None, :]).argmin(axis=1)
        assert np.all(np.abs(r_det - r_ann[nearest]) <= 0.150 * 360)
        assert np.array_equal(det.target[det.groups == record], t_ann[nearest])
    # On record 100 XQRS finds every beat: its R peaks (at 125 Hz) sit on the
    # annotated ones or one sample off, and where a peak coincides the detector
    # path mostly cuts the very beat of the annotation path (the segment length
    # also depends on the neighbouring peaks, which may be a sample off).
    on_100 = annotation_all.groups == "100"
    assert (det.groups == "100").sum() == on_100.sum()
    shift = np.rint(det.r_peak[det.groups == "100"] * 125 / 360) - np.rint(
        annotation_all.r_peak[on_100] * 125 / 360
    )
    assert np.mean(shift == 0) > 0.8 and np.mean(np.abs(shift) <= 1) > 0.999
    same_beat = np.all(
        det.data[det.groups == "100"] == annotation_all.data[on_100], axis=1
    )
    assert same_beat[shift == 0].mean() > 0.7
