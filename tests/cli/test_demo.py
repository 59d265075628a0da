"""``ecgaug demo --fast``: three methods scored, the table and the figure written."""

from __future__ import annotations

import json

from ecgaug._demo import DEFAULT_SAMPLER


def test_demo_fast_writes_table_and_figure(ecgaug, tmp_path):
    out = tmp_path / "demo"
    run = ecgaug("demo", "--fast", "--out", out, "--seed", "1", "--device", "cpu", "-q")
    assert run.rc == 0, run
    result = json.loads((out / "results.json").read_text())
    methods = [row["method"] for row in result["rows"]]
    assert methods[:2] == ["none", "SMOTE"] and methods[2].endswith("Sampler")
    assert methods[2].lower().startswith(DEFAULT_SAMPLER)
    for row in result["rows"]:
        assert 0.0 <= row["macro_f1"] <= 1.0
        assert len(row["recall"]) == 5
        assert row["classifier_s"] > 0
    none, smote, generative = result["rows"]
    # both oversamplers bring every minority class up to the majority class
    assert smote["n_train"] == generative["n_train"] > none["n_train"]
    majority = max(result["train_counts"].values())
    assert smote["n_train"] == majority * len(result["train_counts"])
    assert (
        sum(result["synthetic_counts"].values()) == smote["n_train"] - none["n_train"]
    )
    # the printed table has the same numbers as the JSON
    for row in result["rows"]:
        line = next(x for x in run.out.splitlines() if x.startswith(row["method"]))
        assert f"{row['macro_f1']:.3f}" in line
    png = (out / "real_vs_synthetic.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "| method |" in (out / "results.md").read_text()
    assert "not a result" in run.out
