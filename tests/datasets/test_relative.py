"""Beats beside their difference from their record's median (datasets._relative)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgaug.datasets import add_record_difference, load_mitbih


def test_difference_by_hand_keeps_leads_then_differences_then_tabular():
    # two records, 2 leads of 2 samples, then 1 tabular column
    X = np.array(
        [
            [1.0, 2.0, 10.0, 20.0, 7.0],
            [3.0, 2.0, 30.0, 20.0, 8.0],
            [2.0, 5.0, 20.0, 60.0, 9.0],
            [4.0, 4.0, 40.0, 40.0, 6.0],
        ],
        dtype=np.float32,
    )
    out = add_record_difference(X, ["a", "a", "a", "b"], n_leads=2, n_tabular=1)
    assert out.shape == (4, 9) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, :4], X[:, :4])
    np.testing.assert_array_equal(out[:, -1], X[:, -1])
    # record a: medians (2, 2, 20, 20); record b: one beat, zero difference
    np.testing.assert_array_equal(
        out[:, 4:8],
        [[-1, 0, -10, 0], [1, 0, 10, 0], [0, 3, 0, 40], [0, 0, 0, 0]],
    )


def test_difference_ignores_row_order_and_reads_integers_as_float():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 9, size=(30, 6))
    groups = rng.choice(["x", "y", "z"], size=30)
    order = rng.permutation(30)
    out = add_record_difference(X, groups)
    assert out.dtype == np.float64 and out.shape == (30, 12)
    np.testing.assert_allclose(
        add_record_difference(X[order], groups[order]), out[order]
    )


@pytest.mark.parametrize(
    ("X", "groups", "kw", "match"),
    [
        (np.zeros(5), [0] * 5, {}, "2-D"),
        (np.array([[0.0, np.nan]]), [0], {}, "X contains NaN .*first in row 0"),
        (np.array([["a", "b"]]), [0], {}, "real numbers"),
        (np.zeros((3, 4)), [0, 0], {}, "one entry per beat"),
        (np.zeros((2, 5)), [0, 0], {"n_leads": 2}, "do not split into n_leads=2"),
        (np.zeros((2, 5)), [0, 0], {"n_tabular": 5}, "0 waveform columns"),
        (np.zeros((2, 4)), [0, 0], {"n_leads": 0}, "n_leads must be an integer"),
        (np.zeros((2, 4)), [0, 0], {"n_leads": True}, "n_leads must be an integer"),
        (np.zeros((2, 4)), [0, 0], {"n_tabular": 1.5}, "n_tabular must be"),
    ],
)
def test_difference_rejects_bad_input_by_name(X, groups, kw, match):
    with pytest.raises(ValueError, match=match):
        add_record_difference(X, groups, **kw)


def test_difference_marks_ectopic_beats_on_real_records(data_home):
    """Around the R peak (0.6 s), V beats of 119 (bigeminy) and S beats of 209
    differ more from their record's median context window than its N beats."""
    mit = load_mitbih(
        data_home=data_home,
        records=[119, 209],
        segmentation="context",
        rr_features="append",
    )
    out = add_record_difference(mit.data, mit.groups, n_tabular=8)
    T = mit.data.shape[1] - 8
    assert out.shape == (len(mit.target), 2 * T + 8)
    centre = slice(T + T // 2 - 30, T + T // 2 + 30)
    energy = np.abs(out[:, centre]).mean(axis=1)
    for record, cls in (("119", 2), ("209", 1)):
        rows = mit.groups == record
        ectopic = energy[rows & (mit.target == cls)]
        normal = energy[rows & (mit.target == 0)]
        assert len(ectopic) > 50 and len(normal) > 50
        assert np.median(ectopic) > 1.4 * np.median(normal)
