"""Split masks: stratified 80/20, de Chazal's DS1/DS2."""

from __future__ import annotations

import numpy as np
import pytest

from ecgaug.datasets._splits import DS1, DS2, PACED, split_mask


def test_train_test_stratified_disjoint_deterministic():
    y = np.repeat([0, 1, 2, 3, 4], [800, 50, 100, 20, 30])
    groups = np.repeat(["100"], len(y))
    test = split_mask("test", y, groups)
    train = split_mask("train", y, groups)
    assert not (test & train).any() and (test | train).all()
    assert np.bincount(y[test]).tolist() == [160, 10, 20, 4, 6]
    assert np.array_equal(test, split_mask("test", y, groups))


def test_single_beat_class_goes_to_train():
    y = np.array([0] * 20 + [1] * 10 + [2])
    test = split_mask("test", y, np.zeros(len(y)))
    assert not test[-1] and test.sum() == 6


def test_ds1_ds2_lists():
    assert len(DS1) == len(DS2) == 22 and not set(DS1) & set(DS2)
    assert set(PACED) == {"102", "104", "107", "217"}
    groups = np.array(["101", "100", "102", "234"])
    assert split_mask("DS1", np.zeros(4), groups).tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert split_mask("DS2", np.zeros(4), groups).tolist() == [False, True, False, True]


def test_unknown_split():
    with pytest.raises(ValueError, match="Unknown split 'val'"):
        split_mask("val", np.zeros(3), np.zeros(3))
