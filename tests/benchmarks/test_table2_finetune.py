"""benchmarks/table2_finetune.py: one generator's curves, resumed after a stop."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_one_generator_resumed_reads_the_same_curves(tmp_path):
    cmd = [sys.executable, str(BENCH / "table2_finetune.py"), "--budget", "smoke"]
    cmd += ["--generators", "DiffusionSampler", "--resume"]
    cmd += ["--cache-dir", str(tmp_path / "cache")]
    reports = []
    for out in ("first", "second"):
        run = subprocess.run(
            [*cmd, "--out", str(tmp_path / out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        path = tmp_path / out / "table2_finetune_DiffusionSampler.json"
        reports.append(json.loads(path.read_text()))
    first, second = reports
    assert list(first["results"]["generators"]) == ["DiffusionSampler"]
    assert first["resumed_jobs"] == [0, 2] and second["resumed_jobs"] == [2, 2]
    curves = [r["results"]["curves"] for r in reports]
    for part in ("real", "real_steps", "synthetic", "paired"):
        assert curves[0][part] == curves[1][part]
