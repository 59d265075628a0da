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


def test_record_difference_adds_a_lead_that_the_network_reads():
    from types import SimpleNamespace

    from sklearn.utils import Bunch

    rng = np.random.default_rng(0)
    n_rr = I.N_RR
    ds = [
        Bunch(
            data=rng.normal(size=(12, 6 + n_rr)).astype(np.float32),
            target=np.tile([0, 1, 2], 4),
            groups=np.repeat(["a", "b"], 6),
        )
        for _ in range(2)
    ]
    before = [b.data.copy() for b in ds]
    ds1, ds2, source = I.with_record_difference(*ds, "beats")
    assert "median window of its record" in source
    for bunch, old in zip((ds1, ds2), before, strict=True):
        assert bunch.data.shape == (12, 12 + n_rr)
        np.testing.assert_array_equal(bunch.data[:, :6], old[:, :6])
        np.testing.assert_array_equal(bunch.data[:, -n_rr:], old[:, -n_rr:])
        rows = bunch.groups == "a"
        np.testing.assert_allclose(
            bunch.data[rows, 6:12], old[rows, :6] - np.median(old[rows, :6], axis=0)
        )
    args = SimpleNamespace(
        budget="smoke", target=300, device="cpu", record_difference=True
    )
    data = (ds1.data, ds1.target, ds2.data, ds2.target)
    pipe = I.make_pipeline("none", 0, args, data, {})
    assert pipe.named_steps["clf"].get_params()["module__n_leads"] == 2
    assert I.n_leads(SimpleNamespace(record_difference=False)) == 1


def test_refit_pipeline_has_no_validation_and_stops_at_the_chosen_epoch():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6 + I.N_RR)).astype(np.float32)
    y = np.tile([0, 1, 2, 3], 10)
    args = SimpleNamespace(
        budget="smoke", target=20, device="cpu", record_difference=False
    )
    pipe = I.make_pipeline("SMOTE", 0, args, (X, y, None, None), {}, max_epochs=1)
    clf = pipe.named_steps["clf"]
    assert clf.train_split is None and clf.max_epochs == 1
    names = [name for name, _ in clf.callbacks]
    assert "valid_f1" not in names and "one_cycle" in names


def test_refit_gain_pairs_the_refit_with_the_selection_fit():
    def run(seed, f1_refit, f1_first):
        scores = {
            "recall": {"S": 0.5},
            "precision": {"S": 0.4},
        }
        return {
            "arm": "SMOTE",
            "seed": seed,
            "test": {**scores, "f1_macro_without_Q": f1_refit},
            "S_average_precision": 0.3,
            "selection_fit": {
                "test": {**scores, "f1_macro_without_Q": f1_first},
                "S_average_precision": 0.2,
            },
        }

    gain = I.refit_gain([run(0, 0.7, 0.6), run(1, 0.65, 0.6), {"arm": "none"}])
    assert list(gain) == ["SMOTE"]
    assert gain["SMOTE"]["macro-F1"]["mean"] == pytest.approx(0.075)
    assert gain["SMOTE"]["S AP"]["mean"] == pytest.approx(0.1)


def test_seed_ensembles_score_the_mean_probability_and_drop_it_from_runs():
    y_test = np.array([0, 1, 1, 2])
    # seed 0 calls beat 1 N by a hair and beat 2 S surely; seed 1 the other way
    p0 = np.array(
        [
            [0.9, 0.1, 0.0, 0.0, 0.0],
            [0.55, 0.45, 0.0, 0.0, 0.0],
            [0.1, 0.9, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0, 0.0],
        ]
    )
    p1 = np.array(
        [
            [0.8, 0.2, 0.0, 0.0, 0.0],
            [0.1, 0.9, 0.0, 0.0, 0.0],
            [0.6, 0.4, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.6, 0.4, 0.0],
        ]
    )
    runs = [
        {"arm": "SMOTE", "seed": 0, "proba": p0},
        {"arm": "SMOTE", "seed": 1, "proba": p1},
        {"arm": "none", "seed": 0, "proba": p0},
    ]
    out = I.seed_ensembles(runs, y_test)
    assert list(out) == ["SMOTE"]  # one seed is no ensemble
    assert all("proba" not in r for r in runs)
    assert out["SMOTE"]["seeds"] == [0, 1]
    # the mean calls both S beats S, which neither seed did alone
    assert out["SMOTE"]["test"]["recall"]["S"] == 1.0
    assert out["SMOTE"]["test"]["accuracy"] == 1.0
    assert out["SMOTE"]["confusion"][1] == [0, 2, 0, 0, 0]
    assert out["SMOTE"]["S_average_precision"] == pytest.approx(1.0)


def test_generator_comparison_needs_higher_S_Se_at_no_worse_S_P():
    def arm(se, p):
        return {"S_Se": se, "S_+P": p, "V_Se": 0.9, "f1_without_Q": 0.6}

    arms = {"none": arm(0.3, 0.4), "SMOTE": arm(0.57, 0.44)}
    lost = I.generator_comparison({**arms, "DiffusionSampler": arm(0.6, 0.43)}, {})
    won = I.generator_comparison({**arms, "DiffusionSampler": arm(0.6, 0.44)}, {})
    assert not lost["met"] and "worse" in lost["text"]
    assert won["met"] and "DiffusionSampler: met" in won["text"]
    assert I.generator_comparison(arms, {}) == {}
