"""benchmarks/interpatient_paired.py: two runs paired by arm and seed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
import interpatient_paired as P  # noqa: E402


def _run(arm, seed, f1, s_se=0.5):
    return {
        "arm": arm,
        "seed": seed,
        "test": {
            "f1_macro_without_Q": f1,
            "recall": {"S": s_se, "V": 0.8},
            "precision": {"S": 0.4, "V": 0.9},
        },
        "S_average_precision": 0.3,
    }


def _report(runs, commit="abc"):
    return {"runs": runs, "command": "python x.py", "git": {"commit": commit}}


def test_compare_pairs_shared_arms_and_seeds_only():
    a = _report([_run("SMOTE", s, 0.6 + 0.01 * s) for s in (0, 1, 2, 3)])
    a["runs"].append(_run("only_a", 0, 0.9))
    b = _report([_run("SMOTE", s, 0.5 + 0.01 * s) for s in (0, 1, 2)])
    out = P.compare(a, b)
    assert list(out) == ["SMOTE"]
    f1 = out["SMOTE"]["macro-F1 (N/S/V/F)"]
    assert f1["seeds"] == [0, 1, 2]
    assert f1["mean"] == pytest.approx(0.1)
    assert out["SMOTE"]["S Se"]["mean"] == pytest.approx(0.0)


def test_compare_refuses_runs_that_share_nothing():
    a = _report([_run("SMOTE", 0, 0.6)])
    with pytest.raises(ValueError, match="share no arm"):
        P.compare(a, _report([_run("none", 0, 0.6)]))
    with pytest.raises(ValueError, match="share no seed"):
        P.compare(a, _report([_run("SMOTE", 7, 0.6)]))


def test_main_writes_both_files(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_report([_run("none", s, 0.6) for s in (0, 1)], "a1")))
    b.write_text(json.dumps(_report([_run("none", s, 0.5) for s in (0, 1)], "b2")))
    assert P.main([str(a), str(b), "--name", "cmp", "--out", str(tmp_path)]) == 0
    rep = json.loads((tmp_path / "cmp.json").read_text())
    assert rep["a"]["commit"] == "a1" and rep["b"]["commit"] == "b2"
    assert rep["paired"]["none"]["macro-F1 (N/S/V/F)"]["mean"] == pytest.approx(0.1)
    assert "| none | +0.100" in (tmp_path / "cmp.md").read_text()
