"""benchmarks/_models.py: refitting a generator that ended collapsed or noisy;
keeping each finished job of a long run (``--resume``); generator variants."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
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


def test_a_variant_is_made_at_a_budget_that_does_not_list_it():
    name = "DiffusionSampler+filter"
    found, _ = M.generator_classes("smoke")
    assert name not in found  # not among the smoke tables' methods
    sampler = M.make_generator(name, "smoke", seed=3)
    assert sampler.filter_threshold == M.VARIANTS[name]["params"]["filter_threshold"]
    assert sampler.n_layers == 2 and sampler.random_state == 3  # smoke's overrides
    settings = M.generator_settings("smoke", [name])[name]
    assert settings["class"] == "DiffusionSampler"
    assert settings["overrides"]["filter_threshold"] == 0.5
    with pytest.raises(ValueError, match="NoSuchSampler"):
        M.make_generator("NoSuchSampler", "smoke")


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


CALLS: list = []


def square_job(x, scale):
    """A job of :func:`_models.run_parallel` that says when it runs."""
    CALLS.append(x)
    return {"x": x, "value": float(np.sum(scale) * x**2)}


def test_resume_runs_only_the_jobs_without_a_stored_result(tmp_path):
    CALLS.clear()
    jobs = [(x, np.ones(3)) for x in (1, 2, 3)]
    first = M.run_parallel(square_job, jobs, n_jobs=1, store=tmp_path)
    assert CALLS == [1, 2, 3] and len(list(tmp_path.glob("square_job-*.json"))) == 3
    # a run stopped after its first job: delete the other two results
    for path in [M.job_path(tmp_path, square_job, job) for job in jobs[1:]]:
        path.unlink()
    CALLS.clear()
    again = M.run_parallel(square_job, jobs, n_jobs=1, store=tmp_path)
    assert CALLS == [2, 3]
    assert [r["value"] for r in again] == [r["value"] for r in first] == [3, 12, 27]
    assert "resumed_from" in again[0] and "resumed_from" not in again[1]
    assert again[0]["resumed_from"]["file"].startswith("square_job-")


def test_a_job_with_other_arguments_runs_again(tmp_path):
    CALLS.clear()
    M.run_parallel(square_job, [(2, np.ones(3))], n_jobs=1, store=tmp_path)
    M.run_parallel(square_job, [(2, np.full(3, 2.0))], n_jobs=1, store=tmp_path)
    assert CALLS == [2, 2]


def test_options_that_only_choose_jobs_do_not_change_the_key():
    base = {"budget": "smoke", "threads": 1}
    a = argparse.Namespace(**base, out="a", jobs=1, seeds=[0], methods=None)
    b = argparse.Namespace(
        **base, out="b", jobs=2, seeds=[0, 1], methods="none", job_store=Path("js")
    )
    c = argparse.Namespace(**{**base, "threads": 2}, out="a", jobs=1)
    assert M.job_key(square_job, (1, a)) == M.job_key(square_job, (1, b))
    assert M.job_key(square_job, (1, a)) != M.job_key(square_job, (1, c))


def test_an_unreadable_stored_result_is_run_again(tmp_path):
    CALLS.clear()
    job = (4, np.ones(1))
    M.job_path(tmp_path, square_job, job).write_text('{"result": {"x": 4, "val')
    with pytest.warns(UserWarning, match="unreadable"):
        [out] = M.run_parallel(square_job, [job], n_jobs=1, store=tmp_path)
    assert CALLS == [4] and out["value"] == 16
    assert json.loads(M.job_path(tmp_path, square_job, job).read_text())["result"]


def opaque_job():
    return {"beats": object()}


def test_a_result_that_is_not_json_is_refused_by_name(tmp_path):
    with pytest.raises(TypeError, match="--resume.*opaque_job"):
        M.run_parallel(opaque_job, [()], n_jobs=1, store=tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_code_of_the_jobs_module_is_in_the_key():
    # square_job's module (this file) is digested beside ecgaug and the helpers
    assert M._code_digest(square_job) != M._code_digest(M.run_parallel)
    assert M._code_digest(M.run_parallel) == M._code_digest(M.fit_generator_grid)


def tiny_diffusion(n_epochs):
    from ecgaug.generators import DiffusionSampler

    return DiffusionSampler(
        preset="cpu",
        n_epochs=n_epochs,
        residual_channels=8,
        n_layers=2,
        random_state=0,
        device="cpu",
        verbose=0,
    )


@pytest.fixture(scope="module")
def few_beats():
    from ecgaug.datasets import load_sample

    data = load_sample(split="train")
    keep = np.concatenate([np.flatnonzero(data.target == c)[:30] for c in range(5)])
    return data.data[keep], data.target[keep]


def test_a_stopped_fit_goes_on_from_its_last_save(few_beats, tmp_path, monkeypatch):
    monkeypatch.setattr(M, "PARTIAL_EVERY", 2)
    partial = tmp_path / "partial" / "DiffusionSampler-key.pt"
    # a fit of 6 epochs stopped after its save at epoch 2
    first, _, resumed = M._fit_in_parts(tiny_diffusion(2), *few_beats, partial)
    assert resumed == 0 and partial.is_file()
    assert json.loads(partial.with_suffix(".json").read_text())["epoch"] == 2
    sampler, fit_time, resumed = M._fit_in_parts(tiny_diffusion(6), *few_beats, partial)
    assert resumed == 2 and sampler.n_epochs_ == 6 and fit_time > 0
    assert [h["epoch"] for h in sampler.history_] == [1, 2, 3, 4, 5, 6]
    # the first two epochs are the stopped fit's own
    assert sampler.history_[1]["loss"] == first.history_[1]["loss"]
    params = sampler.get_params()
    assert params["n_epochs"] == 6 and not params["warm_start"]
    assert params["callbacks"] is None


def test_an_unreadable_save_is_fitted_from_scratch(few_beats, tmp_path):
    partial = tmp_path / "DiffusionSampler-key.pt"
    partial.write_bytes(b"not a sampler")
    partial.with_suffix(".json").write_text('{"fit_time_s": 1.0}')
    with pytest.warns(UserWarning, match="fitting from scratch"):
        sampler, _, resumed = M._fit_in_parts(tiny_diffusion(1), *few_beats, partial)
    assert resumed == 0 and sampler.n_epochs_ == 1


def test_the_save_of_a_finished_fit_is_removed(few_beats, tmp_path, monkeypatch):
    monkeypatch.setattr(M, "PARTIAL_EVERY", 1)
    _, info = M._fit_or_load(
        "DiffusionSampler",
        *few_beats,
        budget="smoke",
        device="cpu",
        cache_dir=tmp_path,
        verbose=0,
        seed=0,
    )
    assert Path(info["cache_file"]).is_file() and "resumed_at_epoch" not in info
    assert not list((tmp_path / "partial").iterdir())
