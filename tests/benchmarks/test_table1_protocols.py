"""benchmarks/table1_protocols.py: one generator's protocols, resumed after a stop."""

from __future__ import annotations

from tests.benchmarks._scripts import run_script, run_twice_resumed


def test_an_unknown_generator_is_refused():
    run = run_script(
        "table1_protocols", "--budget", "smoke", "--generators", "MixUpSampler"
    )
    assert run.returncode == 2 and "--generators" in run.stderr


def test_one_generator_resumed_reads_the_same_scores(tmp_path):
    reports = run_twice_resumed(
        "table1_protocols",
        ["--budget", "smoke", "--generators", "DiffusionSampler"],
        tmp_path,
        "table1_protocols_DiffusionSampler",
    )
    first, second = reports
    assert list(first["results"]["MIT"]["generators"]) == ["DiffusionSampler"]
    assert first["resumed_jobs"] == [0, 1] and second["resumed_jobs"] == [1, 1]
    # the generator was fitted by the first run and read from the cache by the
    # second: the job's key is the same either way
    fits = [r["results"]["MIT"]["generators"]["DiffusionSampler"] for r in reports]
    assert [f["fit"][0]["cached"] for f in fits] == [False, True]
    [a], [b] = (f["per_seed"] for f in fits)
    assert a["TSTR"] == b["TSTR"] and "resumed_from" in b
