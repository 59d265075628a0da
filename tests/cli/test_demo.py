"""``ecgaug demo --fast``: three methods on two seeds, the table and the figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecgaug._demo import DEFAULT_SAMPLER


def test_demo_fast_writes_table_and_figure(ecgaug, tmp_path):
    out = tmp_path / "demo"
    run = ecgaug(
        "demo",
        "--fast",
        "--out",
        out,
        "--seed",
        "1",
        "--n-seeds",
        "2",
        "--jobs",
        "2",
        "--device",
        "cpu",
        "-q",
    )
    assert run.rc == 0, run
    result = json.loads((out / "results.json").read_text())
    assert result["settings"]["seeds"] == [1, 2]
    methods = [row["method"] for row in result["rows"]]
    assert methods[:2] == ["none", "SMOTE"] and methods[2].endswith("Sampler")
    assert methods[2].lower().startswith(DEFAULT_SAMPLER)
    for row in result["rows"]:
        assert 0.0 <= row["macro_f1"] <= 1.0
        assert len(row["recall"]) == 5
        assert row["classifier_s"] > 0
        # the mean and SD are those of the per-seed scores
        per_seed = [s["macro_f1"] for s in row["per_seed"]]
        assert [s["seed"] for s in row["per_seed"]] == [1, 2]
        assert row["macro_f1"] == pytest.approx(np.mean(per_seed))
        assert row["macro_f1_sd"] == pytest.approx(np.std(per_seed, ddof=1))
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
        assert f"{row['macro_f1']:.3f} ± {row['macro_f1_sd']:.3f}" in line
    png = (out / "real_vs_synthetic.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "| method |" in (out / "results.md").read_text()
    assert "not a result" in run.out
    assert "Per seed" in run.out
    # the verdict says what was measured, in either direction
    beat = all(generative[k] >= smote[k] for k in ("macro_f1", "balanced_accuracy"))
    verdict = "matched or beat SMOTE" if beat else "did NOT match SMOTE"
    assert verdict in run.out


def test_demo_rejects_bad_seed_count(ecgaug, tmp_path):
    run = ecgaug("demo", "--fast", "--n-seeds", "0", "--out", tmp_path / "d", "-q")
    assert run.rc != 0
    assert "--n-seeds" in run.err
