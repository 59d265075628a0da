"""The class mix of training batches and the per-class loss meter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecgaug._class_mix import ClassLossMeter, class_power, class_weights, epoch_batches

COUNTS = np.array([900, 60, 40])
Y = np.repeat(np.arange(3), COUNTS)


def test_named_powers():
    assert class_power("proportional") == 1.0
    assert class_power("balanced") == 0.0
    assert class_power(0.5) == 0.5


def test_proportional_epoch_is_a_shuffled_pass_without_replacement():
    rng = np.random.RandomState(0)
    idx = epoch_batches(Y, 3, 1.0, 64, len(Y) // 64, rng)
    assert idx.shape == (len(Y) // 64, 64)
    assert len(np.unique(idx)) == idx.size  # no beat twice


@pytest.mark.parametrize("power", [0.0, 0.5])
def test_class_shares_follow_the_power(power):
    rng = np.random.RandomState(0)
    n_steps = len(Y) // 64  # the same steps as the proportional epoch
    idx = epoch_batches(Y, 3, power, 64, n_steps, rng)
    assert idx.shape == (n_steps, 64)
    shares = np.bincount(Y[idx.ravel()], minlength=3) / idx.size
    expected = class_weights(COUNTS, power)
    np.testing.assert_allclose(shares, expected, atol=0.03)
    # the smallest class is drawn with replacement, every beat of it in range
    small = idx.ravel()[Y[idx.ravel()] == 2]
    assert small.min() >= 960 and small.max() < 1000


def test_same_rng_same_batches():
    a = epoch_batches(Y, 3, 0.0, 32, 10, np.random.RandomState(3))
    b = epoch_batches(Y, 3, 0.0, 32, 10, np.random.RandomState(3))
    np.testing.assert_array_equal(a, b)


def test_loss_meter_means_by_class():
    meter = ClassLossMeter(3)
    meter.add(torch.tensor([0, 0, 2]), torch.tensor([1.0, 3.0, 5.0]))
    meter.add(torch.tensor([2]), torch.tensor([7.0]))
    means = meter.means(np.array(["N", "S", "V"]))
    assert means["N"] == 2.0 and means["V"] == 6.0 and np.isnan(means["S"])
