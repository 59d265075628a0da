"""benchmarks/oversampling_combine.py: two runs of the same pipelines, one table."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
import oversampling_combine as OC  # noqa: E402

#: A committed run of the classical baselines (standard budget, 3 seeds).
BASELINES = BENCH / "results" / "standard" / "oversampling_intra-patient_baselines.json"


@pytest.fixture
def baselines() -> dict:
    return json.loads(BASELINES.read_text())


def generator_run(baselines: dict, scale: float = 1.02) -> dict:
    """A run of 'none' and a made-up generator (SMOTE's runs, recall scaled)."""
    rep = copy.deepcopy(baselines)
    res = rep["results"]["intra-patient"]
    runs = []
    for r in res["runs"]:
        if r["method"] == "none":
            runs.append(r)
        elif r["method"] == "SMOTE":
            fake = copy.deepcopy(r) | {"method": "DiffusionSampler"}
            fake["test"]["recall_macro"] = min(1.0, r["test"]["recall_macro"] * scale)
            runs.append(fake)
    res["runs"] = runs
    return rep


def test_the_other_methods_join_and_the_goal_is_judged(baselines):
    rep = OC.combine(generator_run(baselines), baselines)
    res = rep["results"]["intra-patient"]
    assert list(res["methods"]) == [
        "none",
        "class_weight",
        "RandomOverSampler",
        "SMOTE",
        "ADASYN",
        "BorderlineSMOTE",
        "DiffusionSampler",
    ]
    assert res["combined"]["identical"] == ["none"]
    assert res["combined"]["identical_seeds"] == [0, 1, 2]
    assert {r["from_run"] for r in res["runs"] if r["method"] == "SMOTE"} == {"b"}
    v = res["verdicts"]["DiffusionSampler"]
    assert v["best_balancer"] == "class_weight"
    # SMOTE's F1 is below none's, so the made-up generator does not keep it
    [goal] = rep["goals"].values()
    assert not goal["met"] and "NOT kept" in goal["text"]


def test_runs_of_other_pipelines_are_refused(baselines):
    other = generator_run(baselines)
    none = next(r for r in other["results"]["intra-patient"]["runs"] if r["seed"] == 1)
    none["test"]["f1_macro"] += 1e-9
    with pytest.raises(ValueError, match="none with seed 1 scored otherwise"):
        OC.combine(other, baselines)


def test_a_seed_missing_from_b_is_refused(baselines):
    b = copy.deepcopy(baselines)
    res = b["results"]["intra-patient"]
    res["runs"] = [r for r in res["runs"] if r["method"] == "none" or r["seed"] != 2]
    missing = r"no run of class_weight with seed\(s\) \[2\]"
    with pytest.raises(ValueError, match=missing):
        OC.combine(generator_run(baselines), b)


def test_the_command_writes_both_files_naming_the_sources(baselines, tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(generator_run(baselines)))
    assert OC.main([str(a), str(BASELINES), "--name", "c", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "c.md").read_text()
    assert text.startswith("# Oversampling: two runs combined (budget: standard)")
    assert "none scored identically in a and b on seeds [0, 1, 2]" in text
    assert "| DiffusionSampler |" in text and "## Goals" in text
    assert json.loads((tmp_path / "c.json").read_text())["sources"]["b"]["commit"]
