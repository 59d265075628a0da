"""benchmarks/_models.py: refitting a generator that ended collapsed or noisy."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import _models as M  # noqa: E402


def fake_fits(spreads: dict[int, dict[str, float]], calls: list):
    """A ``_fit_or_load`` whose fit of seed ``s`` ends with ``spreads[s]``."""

    def fit_or_load(name, X, y, *, seed, **kwargs):
        calls.append(seed)
        info = {"name": name, "seed": seed, "fit_time_s": 1.0, "cached": False}
        return f"sampler-{seed}", info | {"spread_by_class": spreads[seed]}

    return fit_or_load


def test_a_collapsed_fit_is_refitted_with_a_far_seed(monkeypatch):
    calls = []
    spreads = {3: {"N": 0.6, "F": 0.01}, 3 + M.RETRY_SEED_STEP: {"N": 0.6, "F": 0.5}}
    monkeypatch.setattr(M, "_fit_or_load", fake_fits(spreads, calls))
    sampler, info = M.fit_generator("CGANSampler", None, None, budget="quick", seed=3)
    assert calls == [3, 3 + M.RETRY_SEED_STEP]
    assert sampler == f"sampler-{3 + M.RETRY_SEED_STEP}"
    assert info["seed"] == 3 + M.RETRY_SEED_STEP and info["requested_seed"] == 3
    [tried] = info["failed_tries"]
    assert tried["seed"] == 3 and tried["spread_by_class"]["F"] == 0.01
    assert M.refit_note(info) == "refit: seed 3 failed (F 0.01)"


def test_a_fit_that_did_not_collapse_is_kept(monkeypatch):
    calls = []
    # no spread at all (the diffusion sampler) counts as not collapsed
    monkeypatch.setattr(M, "_fit_or_load", fake_fits({0: {}}, calls))
    _, info = M.fit_generator("DiffusionSampler", None, None, budget="quick", seed=0)
    assert calls == [0]
    assert info["failed_tries"] == [] and M.refit_note(info) == ""


def test_refits_are_bounded_and_the_last_collapse_warns(monkeypatch):
    calls = []
    seeds = [i * M.RETRY_SEED_STEP for i in range(M.RETRIES + 1)]
    monkeypatch.setattr(
        M, "_fit_or_load", fake_fits(dict.fromkeys(seeds, {"S": 0.1}), calls)
    )
    with pytest.warns(UserWarning, match="still failed"):
        _, info = M.fit_generator("TTSCGANSampler", None, None, budget="quick")
    assert calls == seeds
    assert [t["seed"] for t in info["failed_tries"]] == seeds[:-1]


def test_failure_is_read_against_the_samplers_bounds():
    from ecgaug.generators._gan import COLLAPSE_RATIO, NOISE_RATIO

    spread = {"N": COLLAPSE_RATIO, "S": COLLAPSE_RATIO - 0.01, "Q": NOISE_RATIO + 1}
    assert list(M.failed_classes({"spread_by_class": spread})) == ["S", "Q"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.failed_classes({}) == {}


def test_a_noisy_fit_is_refitted_too(monkeypatch):
    calls = []
    spreads = {0: {"V": 2.1, "Q": 4.0}, M.RETRY_SEED_STEP: {"V": 0.8, "Q": 0.9}}
    monkeypatch.setattr(M, "_fit_or_load", fake_fits(spreads, calls))
    _, info = M.fit_generator("TTSCGANSampler", None, None, budget="quick")
    assert calls == [0, M.RETRY_SEED_STEP]
    assert M.refit_note(info) == "refit: seed 0 failed (V 2.10, Q 4.00)"
