"""load_sample: the real beats shipped with the package."""

from __future__ import annotations

import numpy as np
import pytest

from ecgaug.datasets import load_mitbih, load_sample


def test_sample_shape_classes_and_values():
    sample = load_sample()
    assert sample.data.shape == (2500, 187) and sample.data.dtype == np.float32
    assert sample.target.dtype == np.int64
    assert np.bincount(sample.target).tolist() == [1500, 250, 350, 150, 250]
    assert sample.data.min() == 0.0 and sample.data.max() == 1.0
    assert (sample.data[:, -1] == 0).mean() > 0.95  # zero padding at the end
    assert len(np.unique(sample.groups)) == 48
    assert "ODC-By 1.0" in sample.DESCR and "Moody" in sample.DESCR


def test_sample_splits_partition_it():
    sample = load_sample()
    train = load_sample(split="train")
    test = load_sample(split="test")
    assert len(train.target) + len(test.target) == 2500
    assert np.array_equal(
        np.concatenate([train.data, test.data])[
            np.argsort(
                np.concatenate(
                    [np.flatnonzero(~sample.is_test), np.flatnonzero(sample.is_test)]
                )
            )
        ],
        sample.data,
    )
    assert test.is_test.all() and not train.is_test.any()
    assert 0.17 < len(test.target) / 2500 < 0.23
    assert set(np.unique(test.target)) == {0, 1, 2, 3, 4}
    X, y = load_sample(split="train", return_X_y=True)
    assert np.array_equal(X, train.data) and np.array_equal(y, train.target)
    with pytest.raises(ValueError, match="Unknown split 'DS3'"):
        load_sample(split="DS3")


def test_sample_inter_patient_splits_are_de_chazals_records():
    sample = load_sample()
    ds1, ds2 = load_sample(split="DS1"), load_sample(split="DS2")
    # de Chazal's 22 + 22 records, no record on both sides, paced ones in neither
    assert len(np.unique(ds1.groups)) == 22 and len(np.unique(ds2.groups)) == 22
    assert not set(ds1.groups) & set(ds2.groups)
    left = set(sample.groups) - set(ds1.groups) - set(ds2.groups)
    assert left == {"102", "104", "107", "217"}
    assert {"101", "106", "230"} <= set(ds1.groups) and "100" in set(ds2.groups)
    rows = np.flatnonzero(sample.groups == "101")
    np.testing.assert_array_equal(ds1.data[ds1.groups == "101"], sample.data[rows])
    np.testing.assert_array_equal(ds1.rr[ds1.groups == "101"], sample.rr[rows])


def test_sample_is_the_loaders_beats_and_split(data_home, kachuee_all):
    sample = load_sample()
    full = {
        key: i
        for i, key in enumerate(
            zip(kachuee_all.groups.tolist(), kachuee_all.r_peak.tolist())
        )
    }
    rows = np.array(
        [full[k] for k in zip(sample.groups.tolist(), sample.r_peak.tolist())]
    )
    assert np.array_equal(sample.data, kachuee_all.data[rows])
    assert np.array_equal(sample.target, kachuee_all.target[rows])
    assert np.array_equal(sample.symbol, kachuee_all.symbol[rows])
    test = load_mitbih(data_home=data_home, split="test")
    test_keys = set(zip(test.groups.tolist(), test.r_peak.tolist()))
    in_test = [
        k in test_keys for k in zip(sample.groups.tolist(), sample.r_peak.tolist())
    ]
    assert np.array_equal(sample.is_test, in_test)
