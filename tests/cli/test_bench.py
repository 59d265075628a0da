"""``ecgaug bench``: list and run the scripts of ``benchmarks/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ecgaug as ecgaug_pkg

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = '''"""Write the arguments received to args.json. Second line."""
import json, sys
from pathlib import Path
Path("args.json").write_text(json.dumps(sys.argv[1:]))
sys.exit(3)
'''


@pytest.fixture
def bench_dir(tmp_path):
    folder = tmp_path / "repo" / "benchmarks"
    folder.mkdir(parents=True)
    (folder / "echo_args.py").write_text(_SCRIPT)
    (folder / "_helper.py").write_text('"""Not a benchmark."""\n')
    return folder


def test_lists_and_runs_a_script(ecgaug, bench_dir):
    run = ecgaug("bench", "--benchmarks-dir", bench_dir)
    assert run.rc == 0, run
    assert "echo_args" in run.out and "Write the arguments received" in run.out
    assert "_helper" not in run.out
    run = ecgaug(
        "bench",
        "echo_args",
        "--budget",
        "smoke",
        "--benchmarks-dir",
        bench_dir,
        "--",
        "--data-home",
        "'x y'",  # one argument with a space (the fixture splits like a shell)
    )
    assert run.rc == 3  # the script's own exit status
    # run from the folder above benchmarks/, with the arguments as given
    args = json.loads((bench_dir.parent / "args.json").read_text())
    assert args == ["--budget", "smoke", "--data-home", "x y"]
    run = ecgaug("bench", "nosuch", "--benchmarks-dir", bench_dir)
    assert run.rc == 2 and "echo_args" in run.err


def test_finds_the_repository_benchmarks(ecgaug, monkeypatch, tmp_path):
    monkeypatch.delenv("ECGAUG_BENCHMARKS", raising=False)
    monkeypatch.chdir(tmp_path)
    run = ecgaug("bench")
    assert run.rc == 0, run
    names = sorted(p.stem for p in (REPO / "benchmarks").glob("[!_]*.py"))
    assert names and all(name in run.out for name in names)


def test_installed_package_without_benchmarks(ecgaug, monkeypatch, tmp_path):
    site = tmp_path / "site-packages" / "ecgaug"
    site.mkdir(parents=True)
    monkeypatch.setattr(ecgaug_pkg, "__file__", str(site / "__init__.py"))
    monkeypatch.delenv("ECGAUG_BENCHMARKS", raising=False)
    monkeypatch.chdir(tmp_path)
    run = ecgaug("bench")
    assert run.rc == 2
    assert "source repository" in run.err and len(run.err.strip().splitlines()) == 1
