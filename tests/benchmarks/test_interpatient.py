"""benchmarks/interpatient.py: its options and the window-consistent RR step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
import interpatient as I  # noqa: E402


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_target_must_be_a_positive_count_or_auto(bad):
    with pytest.raises(ValueError):
        I.parse_target(bad)
    run = subprocess.run(
        [sys.executable, str(BENCH / "interpatient.py"), "--target", bad],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "--target" in run.stderr


def test_target_values():
    assert I.parse_target("auto") == "auto"
    assert I.parse_target("5000") == 5000


def test_generator_of():
    assert I.generator_of("DiffusionSampler") == "DiffusionSampler"
    assert I.generator_of("CGANSampler-nnRR") == "CGANSampler"
    assert I.generator_of("SMOTE") is None
    assert I.generator_of("class_weight") is None


def test_nearest_rr_takes_the_rr_of_the_nearest_real_window_of_the_class():
    n_rr = I.N_RR
    rng = np.random.default_rng(0)
    X = np.hstack([rng.normal(size=(6, 5)), np.arange(6 * n_rr).reshape(6, n_rr)])
    y = np.array([0, 0, 0, 1, 1, 1])
    # generated windows near real rows 4 (class 1) and 1 (class 0)
    X_new = np.hstack([X[[4, 1], :5] + 1e-3, np.full((2, n_rr), -1.0)])
    y_new = np.array([1, 0])
    out = I.with_nearest_rr(X, y, X_new, y_new)
    np.testing.assert_array_equal(out[:, :5], X_new[:, :5])  # windows kept
    np.testing.assert_array_equal(out[:, -n_rr:], X[[4, 1], -n_rr:])
    assert (X_new[:, -n_rr:] == -1).all()  # the input is not changed
