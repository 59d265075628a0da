"""benchmarks/table1_protocols.py: one generator's protocols, resumed after a stop."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(*options, timeout=300):
    return subprocess.run(
        [sys.executable, str(BENCH / "table1_protocols.py"), *options],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_an_unknown_generator_is_refused():
    run = _run("--budget", "smoke", "--generators", "MixUpSampler")
    assert run.returncode == 2 and "--generators" in run.stderr


def test_one_generator_resumed_reads_the_same_scores(tmp_path):
    options = ["--budget", "smoke", "--generators", "DiffusionSampler", "--resume"]
    options += ["--cache-dir", str(tmp_path / "cache")]
    reports = []
    for out in ("first", "second"):
        run = _run(*options, "--out", str(tmp_path / out))
        assert run.returncode == 0, run.stderr[-2000:]
        path = tmp_path / out / "table1_protocols_DiffusionSampler.json"
        reports.append(json.loads(path.read_text()))
    first, second = reports
    assert list(first["results"]["MIT"]["generators"]) == ["DiffusionSampler"]
    assert first["resumed_jobs"] == [0, 1] and second["resumed_jobs"] == [1, 1]
    # the generator was fitted by the first run and read from the cache by the
    # second: the job's key is the same either way
    fits = [r["results"]["MIT"]["generators"]["DiffusionSampler"] for r in reports]
    assert [f["fit"][0]["cached"] for f in fits] == [False, True]
    [a], [b] = (f["per_seed"] for f in fits)
    assert a["TSTR"] == b["TSTR"] and "resumed_from" in b
