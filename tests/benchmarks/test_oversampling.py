"""benchmarks/oversampling.py: running a subset of its settings and methods, and
resuming a stopped run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
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
    run = subprocess.run(
        [sys.executable, str(BENCH / "oversampling.py"), *option],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and option[0] in run.stderr


def test_baselines_of_one_setting(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            str(BENCH / "oversampling.py"),
            "--budget",
            "smoke",
            "--settings",
            "intra-patient",
            "--methods",
            "class_weight,SMOTE",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
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


def test_resume_reads_the_finished_pipelines(tmp_path):
    cmd = [
        sys.executable,
        str(BENCH / "oversampling.py"),
        "--budget",
        "smoke",
        "--settings",
        "intra-patient",
        "--methods",
        "none",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--resume",
    ]
    reports = []
    for out in ("first", "second"):
        run = subprocess.run(
            [*cmd, "--out", str(tmp_path / out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        path = tmp_path / out / "oversampling_intra-patient_baselines"
        reports.append((json.loads(path.with_suffix(".json").read_text()), path))
    (first, _), (second, path) = reports
    assert first["resumed_jobs"] == [0, 2] and second["resumed_jobs"] == [2, 2]
    runs = [rep["results"]["intra-patient"]["runs"] for rep in (first, second)]
    assert [r["test"] for r in runs[0]] == [r["test"] for r in runs[1]]
    assert all("resumed_from" in r for r in runs[1])
    assert "2 of 2 jobs read from the job store" in path.with_suffix(".md").read_text()
