"""A smoke run of benchmarks/quality_report.py, so that the script cannot rot."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.evaluation._toy import CopyingSampler, GaussianBeatSampler

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "quality_report.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("quality_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_run_writes_the_report(bench, tmp_path):
    samplers = {
        "GaussianBeatSampler": GaussianBeatSampler(random_state=0),
        "CopyingSampler": CopyingSampler(random_state=0),
    }
    report = bench.run("smoke", samplers=samplers, out=tmp_path / "qr")
    saved = json.loads((tmp_path / "qr.json").read_text())
    assert saved["budget"] == "smoke" and saved["data"]["n_train"] == 500
    assert set(saved["samplers"]) == set(samplers)
    rows = {
        n: {(r["metric"], r["label"]): r for r in s["rows"]}
        for n, s in report["samplers"].items()
    }
    assert rows["CopyingSampler"][("near_copy_rate", "all")]["value"] > 0.9
    assert rows["GaussianBeatSampler"][("near_copy_rate", "all")]["value"] < 0.5
    fd = rows["GaussianBeatSampler"][("frechet_distance", "F")]
    assert fd["value"] > 0 and fd["reference"] > 0
    text = (tmp_path / "qr.md").read_text()
    header = (
        "| metric | goal | reference | copier | GaussianBeatSampler | CopyingSampler |"
    )
    assert header in text
    assert "## CopyingSampler per class" in text


def test_budget_settings_reach_every_generator(bench):
    for name, cls in bench.discover_samplers().items():
        sampler = bench.build_sampler(cls, bench.BUDGETS["smoke"])
        assert sampler.get_params()["random_state"] == bench.SEED, name
        if "n_epochs" in sampler.get_params():
            assert sampler.n_epochs == 1, name
