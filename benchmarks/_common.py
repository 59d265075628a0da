"""What the benchmark scripts share: arguments, budgets, data, scores, results files.

Every script of ``benchmarks/`` is run as ``python benchmarks/<name>.py --budget
smoke|quick|standard|full`` and writes ``<out>/<name>.json`` and ``<name>.md``
(atomically) with a header that says what ran where: the git commit (and
whether the tree had uncommitted changes), the machine, torch and its threads,
the GPU, the budget, the seeds, the malloc tuning and the wall time.

A result must come from a committed tree: when ``git status --porcelain``
shows changes under ``ecgaug/`` or ``benchmarks/`` (results and caches aside)
at the start or at the end of a run, or a commit during it changed that code, the files
are stamped ``UNCOMMITTED`` in their title and JSON; the ``standard`` and
``full`` budgets refuse to start on such a tree unless given
``--allow-uncommitted`` (:func:`check_tree`).

Budgets
-------
``smoke``
    Seconds: the bundled sample (``load_sample()``), tiny networks, one epoch.
    For ``tests/benchmarks/test_smoke.py``, so that the scripts cannot rot.
``quick``
    The full MIT-BIH data on a 2-core CPU, all scripts together in about an
    hour: the paper's 1-block classifier for a few epochs, CPU-preset
    generators trained for a few epochs on at most ``max_per_class`` beats of
    each class, fewer synthetic beats. Each script states its settings.
``standard``
    What this 2-core CPU can show in about 30 h (run them all, in order,
    with ``python benchmarks/run_standard.py``): Kachuee's 5-block classifier
    trained long enough that no resampling reaches the anchor (intra-patient
    macro-F1 >= 0.90), CPU-preset generators trained ~30-60 min each, fitted
    once per seed and reused by every table through the generator cache, >= 3
    seeds (classifier *and* generator seed) with paired differences and their
    confidence intervals.
``full``
    The paper's settings, for a GPU: Kachuee's 5-block classifier, paper-preset
    generators trained on every beat, 550 k synthetic pretraining beats.

The classifier and the generators are in ``_models.py``, the protocol of
Tables 2-4 in ``_curves.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
BUDGETS = ("smoke", "quick", "standard", "full")
#: Budgets that refuse to start on a tree with uncommitted changes.
CLEAN_BUDGETS = ("standard", "full")
#: AAMI classes of MIT-BIH, in label order.
CLASS_NAMES = ("N", "S", "V", "F", "Q")
MALLOC_VARS = {
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "68719476736",
}
_REEXEC_GUARD = "_ECGAUG_BENCH_MALLOC_REEXEC"


# --------------------------------------------------------------------------- #
# process set-up                                                              #
# --------------------------------------------------------------------------- #
def ensure_malloc_tuning() -> None:
    """Re-execute this script once with glibc's malloc thresholds raised.

    Uses :func:`ecgaug._malloc.ensure_malloc_tuning` when ecgaug has it; else
    re-executes with :data:`MALLOC_VARS` added to the environment. Call it
    first thing under ``if __name__ == "__main__"``, never from a function
    that tests import (it replaces the running process).
    """
    try:
        from ecgaug._malloc import ensure_malloc_tuning as _ensure
    except ImportError:
        _ensure = None
    if _ensure is not None:
        _ensure()
        return
    missing = {k: v for k, v in MALLOC_VARS.items() if k not in os.environ}
    if (
        not missing
        or os.environ.get(_REEXEC_GUARD)
        or not sys.platform.startswith("linux")
    ):
        return
    sys.stdout.flush()
    env = {**os.environ, **missing, _REEXEC_GUARD: "1"}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def malloc_status() -> dict[str, str | None]:
    """The glibc malloc variables this process started with."""
    return {k: os.environ.get(k) for k in MALLOC_VARS}


def default_data_home() -> str:
    """``$ECGAUG_DATA``, else ``../shared/data`` beside the repository."""
    return os.environ.get("ECGAUG_DATA") or str(REPO.parent / "shared" / "data")


def default_cache_dir() -> Path:
    """Where fitted generators are kept between scripts."""
    from ecgaug.datasets import get_cache_dir

    return get_cache_dir() / "benchmarks"


def job_store(args: argparse.Namespace, script: str) -> Path | None:
    """The folder of ``script``'s finished jobs with ``--resume``, else None.

    ``<--job-store>/<script>``, by default ``<cache-dir>/jobs/<script>``. See
    :func:`_models.run_parallel`.
    """
    if not getattr(args, "resume", False):
        return None
    store = getattr(args, "job_store", None) or Path(args.cache_dir) / "jobs"
    return Path(store) / script


def add_generators_option(parser: argparse.ArgumentParser, script: str) -> None:
    """``--generators a,b``: run a subset of the budget's generators."""
    parser.add_argument(
        "--generators",
        default=None,
        help="comma-separated generators of the budget (default: all); a subset "
        f"writes {script}_<a>-<b>.{{json,md}}",
    )


def chosen_generators(
    parser: argparse.ArgumentParser, args: argparse.Namespace, found: Sequence[str]
) -> list[str]:
    """The generators of ``found`` that ``--generators`` names (all by default).

    An unknown or empty choice is a usage error (exit 2) that lists ``found``.
    """
    if args.generators is None:
        return list(found)
    chosen = [g for g in args.generators.split(",") if g]
    unknown = sorted(set(chosen) - set(found))
    if unknown or not chosen:
        parser.error(f"--generators: unknown {unknown}; choose from {list(found)}")
    return [g for g in found if g in chosen]


def subset_name(script: str, args: argparse.Namespace) -> str:
    """``script``, or ``script_<a>-<b>`` when ``--generators`` chose a subset."""
    if args.generators is None:
        return script
    return f"{script}_{'-'.join(g for g in args.generators.split(',') if g)}"


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds takes comma-separated integers such as 0,1,2; got {text!r}"
        ) from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(
            f"--seeds needs distinct integers, got {text!r}"
        )
    return seeds


def make_parser(doc: str, seeds: dict[str, Sequence[int]]) -> argparse.ArgumentParser:
    """The arguments every script takes.

    Parameters
    ----------
    doc : str
        The script's module docstring (its first line is the description).
    seeds : dict
        Default seeds per budget.

    Returns
    -------
    argparse.ArgumentParser
        With ``--budget``, ``--data-home``, ``--seeds``, ``--out``,
        ``--threads``, ``--jobs``, ``--device``, ``--cache-dir``, ``--no-cache``,
        ``--resume``, ``--job-store``, ``--accelerate``, ``--allow-uncommitted``.
    """
    parser = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0],
        epilog="Default seeds: "
        + "; ".join(f"{b}: {','.join(map(str, s))}" for b, s in seeds.items()),
    )
    parser.add_argument("--budget", choices=BUDGETS, default="quick")
    parser.add_argument(
        "--data-home",
        default=default_data_home(),
        help="folder holding mitdb/ (and ptbdb/): $ECGAUG_DATA, else ../shared/data",
    )
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=None,
        help="comma-separated seeds (default: the budget's, see below)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="folder of the results (default benchmarks/results)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads per process (default 1, torch's own for full)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for independent fits (default: 2 for quick on a "
        "CPU with >= 2 cores, else 1)",
    )
    parser.add_argument(
        "--device", default="auto", help="'auto' (CUDA when present), 'cpu', 'cuda'"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="fitted generators (default $ECGAUG_CACHE/benchmarks)",
    )
    parser.add_argument("--no-cache", action="store_true", help="refit every generator")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep each finished job's result in <cache-dir>/jobs/<script> and "
        "reuse it when the same job (same code, data and options) runs again: a "
        "long run stopped part way loses only its unfinished jobs",
    )
    parser.add_argument(
        "--job-store",
        type=Path,
        default=None,
        help="with --resume, the folder of the finished jobs (default "
        "<cache-dir>/jobs). benchmarks/results/jobs keeps them in the repository: "
        "committed, they let a run on another machine (the same code, data and "
        "options) take up where this one stopped",
    )
    parser.add_argument(
        "--accelerate",
        choices=("no", "bf16"),
        default=None,
        help="train the generators through accelerate, in full precision ('no') "
        "or bfloat16 ('bf16'); start the script with `accelerate launch "
        "--num_processes N` for data parallelism over N GPUs (generators only; "
        "every process runs the rest, the main process writes the results)",
    )
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="run the standard / full budget on a tree with uncommitted changes "
        "under ecgaug/ or benchmarks/ (the results are stamped UNCOMMITTED)",
    )
    parser.set_defaults(default_seeds=dict(seeds))
    return parser


def finish_args(args: argparse.Namespace) -> argparse.Namespace:
    """Fill the budget-dependent defaults and set torch's threads."""
    import torch

    if args.budget not in args.default_seeds:
        raise SystemExit(
            f"{Path(sys.argv[0]).name} has no --budget {args.budget} (it has "
            f"{', '.join(args.default_seeds)}); give it one in its SEEDS and "
            "budget tables."
        )
    if args.seeds is None:
        args.seeds = list(args.default_seeds[args.budget])
    if args.threads is None:
        args.threads = None if args.budget == "full" else 1
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.jobs is None:
        cpus = os.cpu_count() or 1
        on_gpu = args.device != "cpu" and torch.cuda.is_available()
        parallel = args.budget in ("quick", "standard")
        args.jobs = 2 if parallel and cpus >= 2 and not on_gpu else 1
    if args.no_cache:
        args.cache_dir = None
    elif args.cache_dir is None:
        args.cache_dir = default_cache_dir()
    if getattr(args, "resume", False) and args.cache_dir is None:
        raise SystemExit("--resume keeps its jobs in the cache: drop --no-cache")
    check_tree(args.budget, getattr(args, "allow_uncommitted", False))
    args.is_main_process = _start_accelerator(args)
    return args


def _start_accelerator(args: argparse.Namespace) -> bool:
    """With ``--accelerate``, train every sampler fit of this process through it.

    The generators are fitted in the main process (``--jobs`` is set to 1), so
    one :func:`ecgaug.base.accelerated` block for the life of the script covers
    them all. Returns whether this process writes the results and the cache.
    """
    if getattr(args, "accelerate", None) is None:
        return True
    from accelerate import Accelerator

    from ecgaug.base import accelerated

    accelerator = Accelerator(mixed_precision=args.accelerate)
    # kept on args: a dropped block would be closed, and its accelerator
    # unset, when the garbage collector reaches it
    args.accelerated_block = accelerated(accelerator)
    args.accelerated_block.__enter__()  # for the life of the script
    args.jobs = 1
    args.device = str(accelerator.device)
    return bool(accelerator.is_main_process)


# --------------------------------------------------------------------------- #
# the results header and files                                                #
# --------------------------------------------------------------------------- #
#: Where a change makes a result "uncommitted" (the code that produced it) ...
WATCHED = ("ecgaug/", "benchmarks/")
#: ... and where it does not (what the runs themselves write).
UNWATCHED = ("benchmarks/results/", "benchmarks/.cache/")


def _git(*cmd: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *cmd], cwd=REPO, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return out.stdout if out.returncode == 0 else None


def dirty_paths(porcelain: str) -> list[str]:
    """Paths of ``git status --porcelain`` output under :data:`WATCHED`.

    Results and caches (:data:`UNWATCHED`) do not count: they are what the runs
    write, not the code that produced them.
    """
    paths = []
    for line in porcelain.splitlines():
        if len(line) < 4:
            continue
        path = line[3:].split(" -> ")[-1].strip().strip('"')
        if path.startswith(WATCHED) and not path.startswith(UNWATCHED):
            paths.append(path)
    return sorted(set(paths))


def git_info() -> dict[str, Any]:
    """The commit checked out and whether the tree has uncommitted changes.

    Returns
    -------
    dict
        ``commit``; ``dirty`` (any change at all, as ``git status`` says);
        ``dirty_paths`` (changed files under ``ecgaug/`` or ``benchmarks/``,
        results and caches aside: what makes a result uncommitted);
        ``committed`` (``True`` when ``dirty_paths`` is empty; ``None`` outside
        a git checkout).
    """
    status = _git("status", "--porcelain", "--untracked-files=all")
    commit = _git("rev-parse", "HEAD")
    paths = None if status is None else dirty_paths(status)
    return {
        "commit": None if commit is None else commit.strip(),
        "dirty": None if status is None else bool(status.strip()),
        "dirty_paths": paths,
        "committed": None if paths is None else not paths,
    }


def check_tree(budget: str, allow_uncommitted: bool = False) -> dict[str, Any]:
    """Refuse a ``standard`` / ``full`` run on a tree with uncommitted code.

    Parameters
    ----------
    budget : str
        The run's budget; only :data:`CLEAN_BUDGETS` refuse.
    allow_uncommitted : bool
        Run anyway (the results are stamped ``UNCOMMITTED``).

    Returns
    -------
    dict
        :func:`git_info`.

    Raises
    ------
    SystemExit
        For a :data:`CLEAN_BUDGETS` budget on an uncommitted tree.
    """
    git = git_info()
    if budget in CLEAN_BUDGETS and git["committed"] is False and not allow_uncommitted:
        shown = ", ".join(git["dirty_paths"][:10])
        more = len(git["dirty_paths"]) - 10
        raise SystemExit(
            f"The --budget {budget} results must come from a committed tree, but "
            f"git status shows changes to {shown}"
            + (f" and {more} more" if more > 0 else "")
            + ". Commit them (or pass --allow-uncommitted: the results are then "
            "stamped UNCOMMITTED)."
        )
    return git


def merge_git(start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    """One ``git`` record of a run from the trees at its start and its end.

    The result is committed only when both trees were committed and no
    commit made during the run touched ``ecgaug/`` or ``benchmarks/`` (code
    edited or committed during a run may have changed what it ran).
    """
    paths = sorted(
        set(start.get("dirty_paths") or []) | set(end.get("dirty_paths") or [])
    )
    # a commit during the run matters only where it touched the code watched
    moved = False
    if start.get("commit") != end.get("commit"):
        diff = _git(
            "diff", "--name-only", str(start.get("commit")), str(end.get("commit"))
        )
        moved = diff is None or bool(
            dirty_paths("".join(f"?? {p}\n" for p in diff.split()))
        )
    known = start.get("committed") is not None and end.get("committed") is not None
    return {
        "commit": start.get("commit"),
        "commit_at_end": end.get("commit"),
        "dirty": bool(start.get("dirty")) or bool(end.get("dirty")),
        "dirty_paths": paths,
        "code_moved": moved,
        "committed": (not paths and not moved) if known else None,
    }


def uncommitted_banner(git: dict[str, Any]) -> list[str]:
    """Markdown lines that say loudly that a result is not from a committed tree."""
    if git.get("committed") is not False:
        return []
    why = []
    if git.get("dirty_paths"):
        shown = ", ".join(f"`{p}`" for p in git["dirty_paths"][:8])
        more = len(git["dirty_paths"]) - 8
        why.append(
            f"uncommitted changes to {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    if git.get("code_moved"):
        why.append(f"commits during the run ({git['commit_at_end']}) changed the code")
    return [
        "",
        f"> **UNCOMMITTED**: these numbers do not come from a committed tree "
        f"({'; '.join(why)}). Rerun on a clean checkout before quoting them.",
    ]


def machine_info(threads: int | None = None) -> dict[str, Any]:
    """The platform, CPUs, Python, torch and its threads, and the GPU."""
    import numpy as np
    import sklearn
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    try:
        import imblearn

        info["imbalanced-learn"] = imblearn.__version__
    except ImportError:
        pass
    with contextlib.suppress(OSError, AttributeError):
        info["load_avg_1min_at_start"] = round(os.getloadavg()[0], 2)
    return info


def cpu_model() -> str | None:
    """The CPU's model name (Linux ``/proc/cpuinfo``), else None.

    Two x86-64 CPUs can run the same code through different kernels (oneDNN,
    MKL): rounding differs, and over a training run the scores of the same
    seed drift apart.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def timed_sample(sampler, labels, seed: int) -> tuple[Any, Any, float]:
    """``(X, y, seconds)`` of ``sampler.sample`` drawing ``labels``.

    Its warnings of a low acceptance rate are silenced: the scripts report
    the rates in their tables.
    """
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X, y = sampler.sample(len(labels), y=labels, random_state=seed)
    return X, y, time.perf_counter() - start


class Report:
    """The header, results and files of one benchmark run.

    Parameters
    ----------
    name : str
        The script's name; the files are ``<args.out>/<name>.json`` and ``.md``.
    args : argparse.Namespace
        Parsed and completed by :func:`finish_args`.
    argv : list of str or None
        The arguments given (``None``: ``sys.argv[1:]``).
    script : str or None
        The script's name in the command line, when not ``name``.
    """

    def __init__(
        self, name: str, args: argparse.Namespace, argv=None, script: str | None = None
    ) -> None:
        self.name = name
        self.args = args
        self.start = time.perf_counter()
        argv = sys.argv[1:] if argv is None else list(argv)
        self.data: dict[str, Any] = {
            "benchmark": name,
            "budget": args.budget,
            "command": " ".join(["python", f"benchmarks/{script or name}.py", *argv]),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "git": git_info(),
            "machine": machine_info(),
            "malloc": malloc_status(),
            "seeds": list(args.seeds),
            "jobs": args.jobs,
            "device": args.device,
            "generator_cache": str(args.cache_dir) if args.cache_dir else None,
        }

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def write(self, markdown: Callable[[dict], str]) -> dict:
        """Stamp the wall time, write JSON and Markdown atomically, print.

        Parameters
        ----------
        markdown : callable
            ``markdown(report_dict) -> str``, the body after the header.

        Returns
        -------
        dict
            The report.
        """
        if not getattr(self.args, "is_main_process", True):
            return self.data  # accelerate launch: the main process writes
        self.data["wall_time_s"] = round(time.perf_counter() - self.start, 1)
        self.data["peak_rss_mib_main_process"] = round(peak_rss_mib(), 1)
        self.data["git"] = merge_git(self.data["git"], git_info())
        text = markdown(self.data)
        out = Path(self.args.out)
        write_results(out, self.name, self.data, text)
        print("\n" + text)
        print(f"wrote {out / self.name}.json and .md")
        return self.data


def write_results(out: Path, name: str, data: dict, text: str) -> None:
    """``<out>/<name>.json`` (``data``) and ``<name>.md`` (``text``), atomically."""
    from ecgaug._utils import atomic_path

    with atomic_path(Path(out) / f"{name}.json") as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_json) + "\n")
    with atomic_path(Path(out) / f"{name}.md") as tmp:
        tmp.write_text(text)


def read_reports(parser: argparse.ArgumentParser, paths: Sequence[Path]) -> list[dict]:
    """The results JSON files of earlier runs; an unreadable one is a usage error."""
    reports = []
    for path in paths:
        try:
            reports.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as exc:
            parser.error(f"cannot read {path}: {exc}")
    return reports


def results_source(path: Path, report: dict) -> dict:
    """Where a results file came from: its command, commit and date."""
    git = report.get("git", {})
    return {
        "file": str(path),
        "command": report.get("command"),
        "commit": git.get("commit"),
        "committed": git.get("committed"),
        "date_utc": report.get("date_utc"),
    }


def header_markdown(rep: dict, title: str) -> list[str]:
    """The lines that open a ``.md`` file: what ran, where, how long."""
    m, git, malloc = rep["machine"], rep["git"], rep["malloc"]
    tuned = all(malloc.values())
    stamp = " — UNCOMMITTED" if git.get("committed") is False else ""
    return [
        f"# {title} (budget: {rep['budget']}){stamp}",
        *uncommitted_banner(git),
        "",
        f"- command: `{rep['command']}`",
        f"- git: {git['commit']} (committed tree: {git.get('committed')}; "
        f"any change in the checkout: {git['dirty']})",
        f"- machine: {m['platform']}, {m.get('cpu_model') or m['processor']}, "
        f"{m['cpu_count']} CPUs, "
        f"Python {m['python']}, torch {m['torch']} ({m['torch_threads']} "
        f"thread(s) per process, {rep['jobs']} process(es) at a time), "
        f"GPU: {m['gpu']}; load average at start {m.get('load_avg_1min_at_start')}",
        "- glibc malloc: "
        + (
            "MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736"
            if tuned
            else f"not tuned ({malloc})"
        ),
        f"- seeds: {', '.join(map(str, rep['seeds']))}; date {rep['date_utc']}; "
        f"wall time {rep.get('wall_time_s', float('nan')):.0f} s",
        *_resumed_line(rep.get("resumed_jobs")),
    ]


def count_resumed(runs: Sequence[dict]) -> list[int]:
    """``[resumed, all]`` jobs of a run (``--resume``), for ``rep["resumed_jobs"]``."""
    return [sum("resumed_from" in r for r in runs), len(runs)]


def _resumed_line(counts: Sequence[int] | None) -> list[str]:
    if not counts or not counts[0]:
        return []
    return [
        f"- resumed (`--resume`): {counts[0]} of {counts[1]} jobs read from the "
        "job store, finished by an earlier run of the same code, data and "
        "options (each has `resumed_from` in the JSON); the wall time is this "
        "run's only"
    ]


def _json(value: Any) -> Any:
    """numpy scalars and arrays, paths -> JSON."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- #
# formatting                                                                  #
# --------------------------------------------------------------------------- #
def mean_sd(values: Iterable[float]) -> dict[str, float | int]:
    """``{"mean", "sd", "n"}``; ``sd`` is the sample SD (0 for one value)."""
    import numpy as np

    v = np.asarray(list(values), dtype=float)
    sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return {"mean": float(v.mean()), "sd": sd, "n": len(v)}


def fmt(stat: dict | float | None, digits: int = 3) -> str:
    """``0.912 ± 0.004`` (± only with more than one value)."""
    if stat is None:
        return "–"
    if isinstance(stat, dict):
        if stat.get("n", 1) > 1:
            return f"{stat['mean']:.{digits}f} ± {stat['sd']:.{digits}f}"
        return f"{stat['mean']:.{digits}f}"
    return f"{stat:.{digits}f}"


def paired_difference(
    a: Sequence[float], b: Sequence[float], *, confidence: float = 0.95
) -> dict[str, Any]:
    """The per-seed differences ``a - b`` and a t-interval of their mean.

    ``a[i]`` and ``b[i]`` must come from the same seed (same classifier seed,
    same generator seed, same draws where they share them), so that the spread
    of the differences, not of the scores, decides.

    Parameters
    ----------
    a, b : sequence of float
        Scores of two methods, seed by seed.
    confidence : float
        Of the two-sided Student t-interval over the seeds.

    Returns
    -------
    dict
        ``per_seed`` (the differences), ``mean``, ``sd``, ``n``, ``ci`` (``[low,
        high]``, ``None`` with fewer than 2 seeds), ``confidence`` and
        ``verdict``: ``"win"`` when the interval lies above 0, ``"loss"`` below
        0, ``"no difference shown"`` when it holds 0, ``"one seed: no
        interval"``.
    """
    import numpy as np
    from scipy import stats

    a = np.asarray(list(a), dtype=float)
    b = np.asarray(list(b), dtype=float)
    if a.shape != b.shape:
        raise ValueError(
            f"paired_difference needs one score per seed on both sides; got "
            f"{len(a)} and {len(b)}."
        )
    d = a - b
    n = len(d)
    out: dict[str, Any] = {
        "per_seed": d.tolist(),
        "mean": float(d.mean()) if n else float("nan"),
        "sd": float(d.std(ddof=1)) if n > 1 else 0.0,
        "n": n,
        "confidence": confidence,
        "ci": None,
    }
    if n < 2:
        out["verdict"] = "one seed: no interval"
        return out
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * out["sd"] / np.sqrt(n)
    low, high = out["mean"] - half, out["mean"] + half
    out["ci"] = [float(low), float(high)]
    out["verdict"] = "win" if low > 0 else "loss" if high < 0 else "no difference shown"
    return out


def paired_by_seed(a: dict[int, float], b: dict[int, float]) -> dict | None:
    """:func:`paired_difference` of ``{seed: score}`` over the seeds both have.

    Returns ``None`` when they share no seed; else the difference with
    ``seeds`` (the seeds used, sorted).
    """
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    return paired_difference([a[s] for s in seeds], [b[s] for s in seeds]) | {
        "seeds": seeds
    }


def runs_by_arm(runs: Iterable[dict]) -> dict[str, dict[int, dict]]:
    """``{arm: {seed: run}}`` of runs that carry ``"arm"`` and ``"seed"``."""
    out: dict[str, dict[int, dict]] = {}
    for run in runs:
        out.setdefault(run["arm"], {})[run["seed"]] = run
    return out


def paired_scores(
    a: dict[int, dict], b: dict[int, dict], scores: dict[str, Callable[[dict], float]]
) -> dict[str, dict | None]:
    """Per score, :func:`paired_by_seed` of ``get(run)`` over ``{seed: run}``."""
    return {
        label: paired_by_seed(
            {s: get(r) for s, r in a.items()}, {s: get(r) for s, r in b.items()}
        )
        for label, get in scores.items()
    }


def diff_table(first: str, diffs: dict[str, dict], labels: Sequence[str]) -> list[str]:
    """A Markdown table of :func:`paired_scores` results, one row per key."""
    rows = [[key, *(fmt_diff(d[lab]) for lab in labels)] for key, d in diffs.items()]
    return md_table([first, *labels], rows)


def fmt_diff(diff: dict | None, digits: int = 3) -> str:
    """``+0.012 [-0.003, +0.027]`` (the mean difference and its interval)."""
    if diff is None:
        return "–"
    text = f"{diff['mean']:+.{digits}f}"
    if diff.get("ci") is not None:
        low, high = diff["ci"]
        text += f" [{low:+.{digits}f}, {high:+.{digits}f}]"
    mark = {"win": " ✓", "loss": " ✗"}.get(diff["verdict"], "")
    return text + mark


def goal(value: float | None, target: float, what: str) -> dict[str, Any]:
    """Where ``value`` stands against ``target`` (higher is better)."""
    if value is None:
        return {
            "what": what,
            "target": target,
            "value": None,
            "met": None,
            "text": f"{what}: not measured",
        }
    met = bool(value >= target)
    text = (
        f"{what}: {value:.3f} >= {target:.3f}, met"
        if met
        else f"{what}: {value:.3f} < {target:.3f}, NOT met (short by "
        f"{target - value:.3f})"
    )
    return {"what": what, "target": target, "value": value, "met": met, "text": text}


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


# --------------------------------------------------------------------------- #
# data                                                                        #
# --------------------------------------------------------------------------- #
def load_intra(args: argparse.Namespace):
    """The intra-patient 80/20 split: ``(X_train, y_train, X_test, y_test, source)``.

    ``smoke``: the bundled sample's train/test sides.
    """
    from ecgaug.datasets import load_mitbih, load_sample

    if args.budget == "smoke":
        X, y = load_sample(split="train", return_X_y=True)
        X_test, y_test = load_sample(split="test", return_X_y=True)
        return X, y, X_test, y_test, "load_sample() train / test sides"
    train = load_mitbih(data_home=args.data_home, split="train")
    test = load_mitbih(data_home=args.data_home, split="test")
    source = (
        "load_mitbih(split='train' / 'test', segmentation='kachuee'): the "
        "intra-patient 80/20 split of the Kaggle MIT-BIH beats"
    )
    return train.data, train.target, test.data, test.target, source


def load_inter(args: argparse.Namespace):
    """de Chazal's inter-patient split: ``(ds1, ds2, source)`` Bunches.

    Each has ``data``, ``target`` and ``groups`` (the record). ``smoke``: the
    bundled sample's beats of the DS1 and of the DS2 records.
    """
    import numpy as np
    from sklearn.utils import Bunch

    from ecgaug.datasets import load_mitbih, load_sample
    from ecgaug.datasets._splits import DS1, DS2

    if args.budget == "smoke":
        s = load_sample()
        parts = []
        for records in (DS1, DS2):
            keep = np.isin(s.groups.astype(str), records)
            parts.append(
                Bunch(data=s.data[keep], target=s.target[keep], groups=s.groups[keep])
            )
        return parts[0], parts[1], "load_sample() beats of the DS1 / DS2 records"
    ds1 = load_mitbih(data_home=args.data_home, split="DS1")
    ds2 = load_mitbih(data_home=args.data_home, split="DS2")
    source = (
        "load_mitbih(split='DS1' / 'DS2', segmentation='kachuee'): de Chazal et "
        "al.'s inter-patient split, 22 records each (paced records left out)"
    )
    return ds1, ds2, source


def patient_split(
    groups,
    y,
    *,
    test_size: float,
    need: Sequence[int],
    min_train_share: float = 0.0,
    random_state: int = 0,
    max_tries: int = 500,
):
    """A GroupShuffleSplit by record with every class of ``need`` on both sides.

    Draws ``GroupShuffleSplit(test_size, random_state=random_state + i)`` for
    ``i = 0, 1, ...`` and keeps the first split whose two sides both hold at
    least one beat of each class in ``need``, the first side at least
    ``min_train_share`` of each such class's beats (deterministic, and never
    looks at anything but the labels of the beats being split).

    Returns
    -------
    train_idx, test_idx : ndarray
        Indices into ``groups``.
    seed : int
        The ``random_state`` of the split kept.
    """
    import numpy as np
    from sklearn.model_selection import GroupShuffleSplit

    y = np.asarray(y)
    for i in range(max_tries):
        seed = random_state + i
        split = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
        tr, te = next(split.split(np.zeros(len(y)), y, groups))
        if all(
            np.any(y[te] == c)
            and np.sum(y[tr] == c) >= max(1.0, min_train_share * np.sum(y == c))
            for c in need
        ):
            return tr, te, seed
    raise ValueError(
        f"No split by record in {max_tries} tries puts classes {list(need)} on "
        "both sides; there are too few records with these classes."
    )


def load_ptb_if_present(args: argparse.Namespace, min_patients: int = 2):
    """PTB's MI-vs-healthy beats when enough records are on disk, else why not.

    Nothing is downloaded. PTB counts as present when each class has beats of
    at least ``min_patients`` patients, so that a split by patient can put
    both classes on both sides.

    Returns
    -------
    ptb : Bunch or None
        ``load_ptb(data_home=..., download_if_missing=False)``.
    status : str
        What was found, or why PTB is skipped.
    """
    import numpy as np

    from ecgaug.datasets import load_ptb

    if args.budget == "smoke":
        return None, "smoke budget: PTB not loaded"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ptb = load_ptb(data_home=args.data_home, download_if_missing=False)
    except (FileNotFoundError, ValueError, OSError) as exc:
        return None, f"PTB skipped: no usable ptbdb records ({exc})"
    patients = {int(c): len(np.unique(ptb.groups[ptb.target == c])) for c in (0, 1)}
    found = (
        f"{len(np.unique(ptb.record))} record(s) of {len(np.unique(ptb.groups))} "
        f"patient(s): healthy {int((ptb.target == 0).sum())} beats of "
        f"{patients[0]} patient(s), MI {int((ptb.target == 1).sum())} beats of "
        f"{patients[1]} patient(s)"
    )
    if min(patients.values()) < min_patients:
        return None, (
            f"PTB skipped: {Path(args.data_home) / 'ptbdb'} holds {found}; each "
            f"class needs beats of at least {min_patients} patients (PhysioNet's "
            "ptbdb has 549 records of 290 patients; only a sample is staged here)"
        )
    return ptb, f"PTB: {found}"


#: Held-out DS1 patients for choosing epochs in the inter-patient setting.
DS1_VALIDATION = {"test_size": 0.25, "need": (0, 1, 2, 3), "min_train_share": 0.5}


def ds1_validation_split(ds1):
    """DS1 records split into training and validation patients.

    ``patient_split`` with :data:`DS1_VALIDATION`: about a quarter of the
    records hold out N, S, V and F beats for picking epochs, and the training
    records keep at least half of each of these classes. The same split is
    used by every seed of ``oversampling`` and by ``table4_cross_task``, so
    that generators fitted on the training patients are shared (cache).

    Returns
    -------
    train_idx, valid_idx : ndarray
        Indices into ``ds1``.
    description : str
        The records on each side.
    """
    import numpy as np

    tr, va, seed = patient_split(ds1.groups, ds1.target, **DS1_VALIDATION)
    desc = (
        f"GroupShuffleSplit by record (test_size "
        f"{DS1_VALIDATION['test_size']}, random_state {seed}): training records "
        f"{sorted(np.unique(ds1.groups[tr]).tolist())}, validation records "
        f"{sorted(np.unique(ds1.groups[va]).tolist())}"
    )
    return tr, va, desc


def fingerprint(*arrays) -> str:
    """A digest of arrays' dtypes, shapes and bytes."""
    import numpy as np

    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def scores(y_true, y_pred, labels: Sequence[int], names: Sequence[str]) -> dict:
    """Accuracy, macro precision / recall / F1, per-class recall and F1.

    With a ``Q`` among ``names``, also the macro scores over the other classes
    (``*_without_Q``: Q beats still count, as errors, where they are
    predicted as another class).
    """
    import numpy as np
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    labels = list(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f1, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average="macro", zero_division=0
        )
        pc, rc, fc, support = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None, zero_division=0
        )
    out: dict[str, Any] = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision_macro": float(p),
        "recall_macro": float(r),
        "f1_macro": float(f1),
        "recall": {n: float(v) for n, v in zip(names, rc)},
        "precision": {n: float(v) for n, v in zip(names, pc)},
        "f1": {n: float(v) for n, v in zip(names, fc)},
        "support": {n: int(v) for n, v in zip(names, support)},
    }
    if "Q" in names:
        keep = [lab for lab, n in zip(labels, names) if n != "Q"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, r, f1, _ = precision_recall_fscore_support(
                y_true, y_pred, labels=keep, average="macro", zero_division=0
            )
        out |= {
            "precision_macro_without_Q": float(p),
            "recall_macro_without_Q": float(r),
            "f1_macro_without_Q": float(f1),
        }
    out["n_test"] = int(np.size(y_true))
    return out


#: The paper's tables, for the ``.md`` files and the README.
PAPER = {
    "table1": {
        "MIT": {
            "TSTR": (0.551, 0.430, 0.753),
            "TSTS": (0.999, 0.999, 0.999),
            "TRTR": (0.980, 0.961, 0.840),
            "TRSTR": (0.971, 0.933, 0.783),
        },
        "PTB": {
            "TSTR": (0.660, 0.660, 0.699),
            "TSTS": (1.000, 1.000, 1.000),
            "TRTR": (0.914, 0.908, 0.874),
        },
    },
    # fraction: (acc synth, acc real, P synth, P real, R synth, R real,
    #            time synth, time real)
    "table2": {
        0.2: (0.9760, 0.9664, 0.9098, 0.9153, 0.8651, 0.7700, 33.5108, 32.1254),
        0.4: (0.9803, 0.9741, 0.9329, 0.9476, 0.8703, 0.7854, 50.4500, 51.5347),
        0.6: (0.9814, 0.9763, 0.9551, 0.9586, 0.8502, 0.8074, 65.3325, 65.7416),
        0.8: (0.9804, 0.9783, 0.9591, 0.9599, 0.8311, 0.8162, 81.9592, 82.6904),
        1.0: (0.9799, 0.9751, 0.9633, 0.9612, 0.8168, 0.7920, 100.0152, 110.3127),
    },
    "table3": {
        0.2: (0.6627, 0.7785, 0.6810, 0.7901, 0.6684, 0.7700, 1.7065, 7.3009),
        0.4: (0.7888, 0.8092, 0.8166, 0.8196, 0.8052, 0.7989, 12.8148, 16.2860),
        0.6: (0.7961, 0.8669, 0.8131, 0.8641, 0.8234, 0.8562, 20.4001, 26.8113),
        0.8: (0.8248, 0.8621, 0.8187, 0.8564, 0.8504, 0.8394, 25.0002, 34.6997),
        1.0: (0.8221, 0.8902, 0.7885, 0.8660, 0.8352, 0.8647, 27.1476, 42.3554),
    },
    "table4": {
        0.2: (0.8362, 0.7785, 0.8551, 0.7901, 0.8441, 0.7700, 11.6971, 7.3009),
        0.4: (0.8926, 0.8092, 0.8999, 0.8196, 0.9036, 0.7989, 19.8847, 16.2860),
        0.6: (0.9452, 0.8669, 0.9396, 0.8641, 0.9507, 0.8562, 33.1194, 26.8113),
        0.8: (0.9466, 0.8621, 0.9359, 0.8564, 0.9542, 0.8394, 39.0200, 34.6997),
        1.0: (0.9641, 0.8902, 0.9490, 0.8660, 0.9655, 0.8647, 46.4486, 42.3554),
    },
}
