"""benchmarks/table2_finetune.py: one generator's curves, resumed after a stop."""

from __future__ import annotations

from tests.benchmarks._scripts import run_twice_resumed


def test_one_generator_resumed_reads_the_same_curves(tmp_path):
    first, second = run_twice_resumed(
        "table2_finetune",
        ["--budget", "smoke", "--generators", "DiffusionSampler"],
        tmp_path,
        "table2_finetune_DiffusionSampler",
    )
    assert list(first["results"]["generators"]) == ["DiffusionSampler"]
    assert first["resumed_jobs"] == [0, 2] and second["resumed_jobs"] == [2, 2]
    curves = [r["results"]["curves"] for r in (first, second)]
    for part in ("real", "real_steps", "synthetic", "paired"):
        assert curves[0][part] == curves[1][part]
