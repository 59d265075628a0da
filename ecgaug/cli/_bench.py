"""``ecgaug bench``: run (or list) the scripts of the repository's ``benchmarks/``."""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

from ecgaug.cli._common import CLIError, format_table

__all__ = ["add_parser", "find_benchmarks_dir", "list_benchmarks", "run"]

BENCH_ENV = "ECGAUG_BENCHMARKS"


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug bench``."""
    parser = sub.add_parser(
        "bench",
        help="run a benchmark script of the repository (list them without NAME)",
        description="Run benchmarks/NAME.py of an ecgaug source checkout, which "
        "reproduces a table of the paper or measures speed, and writes "
        "benchmarks/results/NAME.json and .md. Without NAME, list the scripts. "
        "The scripts are not installed with the package: run this from a clone of "
        "the repository, or point --benchmarks-dir (or $ECGAUG_BENCHMARKS) at its "
        "benchmarks/ folder. Arguments after '--' go to the script unchanged.",
        epilog="Example: ecgaug bench oversampling --budget quick -- "
        "--data-home ../shared/data",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="the script's name")
    parser.add_argument(
        "--budget",
        choices=("smoke", "quick", "standard", "full"),
        help="'smoke': seconds, to check the script runs; 'quick': the full data "
        "with smaller models, for a CPU; 'standard': longer training and 3 seeds, "
        "what a 2-core CPU can show overnight (benchmarks/run_standard.py runs "
        "them all); 'full': the paper's settings, for a GPU (default: the "
        "script's own)",
    )
    parser.add_argument(
        "--benchmarks-dir",
        type=Path,
        metavar="DIR",
        help="the benchmarks/ folder (default: $ECGAUG_BENCHMARKS, else the one "
        "beside the ecgaug package or in the current folder or above)",
    )
    parser.set_defaults(run=run, script_args=[])
    return parser


def _is_benchmarks_dir(path: Path) -> bool:
    return path.is_dir() and any(_scripts(path))


def _scripts(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.glob("*.py") if not p.name.startswith(("_", "test_"))
    )


def find_benchmarks_dir(explicit: Path | None = None) -> Path:
    """The ``benchmarks/`` folder, or a :class:`CLIError` that says how to get one."""
    if explicit is None and os.environ.get(BENCH_ENV):
        explicit = Path(os.environ[BENCH_ENV])
    if explicit is not None:
        if not _is_benchmarks_dir(explicit):
            raise CLIError(f"{explicit} is not a folder of benchmark scripts (*.py).")
        return explicit
    import ecgaug

    candidates = [Path(ecgaug.__file__).resolve().parents[1] / "benchmarks"]
    here = Path.cwd().resolve()
    candidates += [d / "benchmarks" for d in (here, *here.parents)]
    for folder in candidates:
        if _is_benchmarks_dir(folder):
            return folder
    raise CLIError(
        "no benchmarks/ folder found: the benchmark scripts ship with the source "
        "repository, not with the installed package. Clone the repository and run "
        "'ecgaug bench' inside it, or pass --benchmarks-dir DIR."
    )


def _summary(script: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    except (SyntaxError, UnicodeDecodeError, OSError):
        doc = None
    return (doc or "").strip().splitlines()[0] if doc else ""


def list_benchmarks(folder: Path) -> list[tuple[str, str]]:
    """``(name, first line of the docstring)`` of every script in ``folder``."""
    return [(p.stem, _summary(p)) for p in _scripts(folder)]


def run(args: argparse.Namespace) -> int:
    """List the scripts, or run one and return its exit status."""
    folder = find_benchmarks_dir(args.benchmarks_dir)
    scripts = list_benchmarks(folder)
    if not args.name:
        print(f"Benchmarks in {folder}:")
        print(format_table(scripts, ["name", "what it measures"]))
        print("\nRun one with: ecgaug bench NAME --budget smoke|quick|standard|full")
        return 0
    name = args.name[:-3] if args.name.endswith(".py") else args.name
    names = [n for n, _ in scripts]
    if name not in names:
        raise CLIError(
            f"no benchmark {args.name!r} in {folder}; choose one of {', '.join(names)}."
        )
    command = [sys.executable, str(folder / f"{name}.py")]
    if args.budget:
        command += ["--budget", args.budget]
    command += list(args.script_args)
    print("Running: " + " ".join(command), file=sys.stderr, flush=True)
    # The child inherits this process's environment, malloc tuning included.
    return subprocess.call(command, cwd=folder.parent)
