"""Running a benchmark script in a subprocess, as its users do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def run_script(name: str, *options: str, timeout: int = 300):
    """``python benchmarks/<name>.py *options``, its output captured."""
    return subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *options],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_twice_resumed(name: str, options, tmp_path: Path, results: str) -> list[dict]:
    """Run a script twice with ``--resume`` and one job store; both reports.

    The runs write to ``tmp_path / "first"`` and ``"second"``; ``results`` is
    the name of the results file (no suffix) each reads back.
    """
    options = [*options, "--resume", "--cache-dir", str(tmp_path / "cache")]
    reports = []
    for out in ("first", "second"):
        run = run_script(name, *options, "--out", str(tmp_path / out))
        assert run.returncode == 0, run.stderr[-2000:]
        reports.append(json.loads((tmp_path / out / f"{results}.json").read_text()))
    return reports
