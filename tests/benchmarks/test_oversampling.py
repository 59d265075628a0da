"""benchmarks/oversampling.py: running a subset of its settings and methods, and
resuming a stopped run."""

from __future__ import annotations

import json
import sys

import pytest

from tests.benchmarks._scripts import BENCH, run_script, run_twice_resumed

sys.path.insert(0, str(BENCH))
import oversampling as O  # noqa: E402


def test_results_name_says_what_was_left_out():
    both = list(O.SETTINGS)
    assert O.results_name(both, None) == "oversampling"
    assert O.results_name(["intra-patient"], None) == "oversampling_intra-patient"
    assert (
        O.results_name(["intra-patient"], ["none", "SMOTE"])
        == "oversampling_intra-patient_baselines"
    )
    assert (
        O.results_name(both, ["none", "DiffusionSampler"])
        == "oversampling_methods-none-DiffusionSampler"
    )


@pytest.mark.parametrize(
    "option", [["--settings", "intra"], ["--methods", "none,MixUp"]]
)
def test_unknown_setting_or_method_is_refused(option):
    run = run_script("oversampling", *option, timeout=120)
    assert run.returncode == 2 and option[0] in run.stderr


def test_baselines_of_one_setting(tmp_path):
    run = run_script(
        "oversampling",
        "--budget",
        "smoke",
        "--settings",
        "intra-patient",
        "--methods",
        "class_weight,SMOTE",
        "--out",
        str(tmp_path),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rep = json.loads(
        (tmp_path / "oversampling_intra-patient_baselines.json").read_text()
    )
    assert list(rep["results"]) == ["intra-patient"]
    res = rep["results"]["intra-patient"]
    # "none" is added: every difference is paired with it
    assert list(res["methods"]) == ["none", "class_weight", "SMOTE"]
    assert set(res["verdicts"]) == {"class_weight", "SMOTE"}
    assert rep["generator_settings"] == {}


def test_seeds_choose_the_intra_patient_seeds(tmp_path):
    """--seeds is not overridden by the intra-patient default (smoke: 0, 1)."""
    run = run_script(
        "oversampling",
        *("--budget", "smoke", "--settings", "intra-patient", "--methods", "none"),
        *("--seeds", "3", "--out", str(tmp_path)),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rep = json.loads(
        (tmp_path / "oversampling_intra-patient_baselines.json").read_text()
    )
    assert [r["seed"] for r in rep["results"]["intra-patient"]["runs"]] == [3]
    assert rep["seeds"] == [3]


def test_the_header_names_the_seeds_the_run_used(tmp_path, monkeypatch):
    """Without --seeds, an intra-patient run's header lists its own seeds."""
    monkeypatch.setitem(O.INTRA_SEEDS, "smoke", [1])  # the inter default: 0, 1
    rep = O.main(
        ["--budget", "smoke", "--settings", "intra-patient", "--methods", "none"]
        + ["--out", str(tmp_path)]
    )
    assert [r["seed"] for r in rep["results"]["intra-patient"]["runs"]] == [1]
    assert rep["seeds"] == [1]


def test_setting_seeds():
    """Without --seeds, quick runs intra-patient on seed 0 and inter on 0-4."""
    assert O.setting_seeds(None, "quick", ["intra-patient"]) == {"intra-patient": [0]}
    assert O.setting_seeds(None, "quick", list(O.SETTINGS)) == {
        "intra-patient": [0],
        "inter-patient": [0, 1, 2, 3, 4],
    }
    assert O.setting_seeds([7], "quick", list(O.SETTINGS)) == {
        "intra-patient": [7],
        "inter-patient": [7],
    }


def test_resume_reads_the_finished_pipelines(tmp_path):
    results = "oversampling_intra-patient_baselines"
    first, second = run_twice_resumed(
        "oversampling",
        ["--budget", "smoke", "--settings", "intra-patient", "--methods", "none"],
        tmp_path,
        results,
    )
    assert first["resumed_jobs"] == [0, 2] and second["resumed_jobs"] == [2, 2]
    runs = [rep["results"]["intra-patient"]["runs"] for rep in (first, second)]
    assert [r["test"] for r in runs[0]] == [r["test"] for r in runs[1]]
    assert all("resumed_from" in r for r in runs[1])
    markdown = (tmp_path / "second" / f"{results}.md").read_text()
    assert "2 of 2 jobs read from the job store" in markdown


def test_a_named_job_store_outlives_the_cache(tmp_path):
    """A run in pieces, on machines that lose their cache between pieces."""
    import shutil

    cache, store = tmp_path / "cache", tmp_path / "jobs"
    options = ["--budget", "smoke", "--settings", "intra-patient", "--resume"]
    options += ["--cache-dir", str(cache), "--job-store", str(store)]
    reports = []
    for methods in ("none", "none,class_weight"):
        out = tmp_path / methods
        run = run_script(
            "oversampling", *options, "--methods", methods, "--out", str(out)
        )
        assert run.returncode == 0, run.stderr[-2000:]
        reports.append(json.loads(next(out.glob("oversampling_*.json")).read_text()))
        shutil.rmtree(cache, ignore_errors=True)  # a reset machine: no cache
    assert reports[0]["resumed_jobs"] == [0, 2] and reports[1]["resumed_jobs"] == [2, 4]
    assert len(list((store / "oversampling").glob("*.json"))) == 4
