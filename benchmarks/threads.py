"""How much does one competing CPU-bound process slow ecgaug's fits down?

torch runs its CPU kernels on OpenMP threads (libgomp in the PyPI wheels),
one per core by default. When another process keeps one of the cores busy,
each parallel region waits for its slowest thread, and that thread shares its
core with the other process: every one of the thousands of small operations
of a fit can wait for a scheduler time slice. ``ecgaug._threads`` therefore
limits torch's threads during a fit or a sampling call to the CPUs that are
free (see its docstring). This script measures, each arm in a fresh child
process (so that ``OMP_WAIT_POLICY`` is read when torch loads):

- ``fit``: a fixed small classifier fit (the one-block ResNet of the demo on
  the bundled sample) and a sampler fit (the CGAN's CPU preset);
- torch threads 1 and 2 (forced with ``ECGAUG_NUM_THREADS``), and
  ``ecgaug default`` (nothing forced, ecgaug imported before torch, so that it
  sets ``OMP_WAIT_POLICY=PASSIVE`` and caps the threads at the usable CPUs);
- ``OMP_WAIT_POLICY`` unset (libgomp's default: torch is imported before
  ecgaug) or ``PASSIVE``;
- ``idle`` or ``busy``: a busy-loop Python process that this script starts
  before the child and kills after it;
- ``1 CPU``: the child may use one core only (``os.sched_setaffinity``, set
  after torch counted two cores: what a container with a one-CPU quota looks
  like to torch, which sizes its pool from the cores it sees).

Each arm is timed ``repeats`` times (fresh children, arms interleaved); a child
whose fit runs longer than 4 times the first reference fit is killed and
reported as a lower bound. The
slowdown of an arm is its median time over the median time of the
``ecgaug default``/idle arm of the same run, so that a machine loaded by others shifts
every arm alike; the load average at the start is in the header.

Usage::

    python benchmarks/threads.py --budget quick
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import time

import _common as C

NAME = "threads"
SEEDS = {"smoke": [0], "quick": [0], "full": [0]}
REPEATS = {"smoke": 1, "quick": 1, "full": 3}
#: Epochs of the classifier fit and of the sampler fit, and beats used.
SIZES = {
    "smoke": {"classifier_epochs": 1, "sampler_epochs": 1, "n_beats": 256},
    "quick": {"classifier_epochs": 2, "sampler_epochs": 1, "n_beats": 1000},
    "full": {"classifier_epochs": 5, "sampler_epochs": 5, "n_beats": 2500},
}
#: A child is killed after the start-up time plus this many times the fit time
#: of the first idle ``ecgaug default`` child (at least 30 s).
TIMEOUT_FACTOR = 4
WORKLOADS = ("classifier_fit", "sampler_fit")
#: (label, threads forced or None, OMP_WAIT_POLICY, busy, one_cpu). The wait
#: policy None is libgomp's default (torch is imported before ecgaug, which
#: then cannot set it); "ecgaug" imports ecgaug first, as a user would.
ARMS = (
    ("ecgaug default", None, "ecgaug", False, False),
    ("ecgaug default", None, "ecgaug", True, False),
    ("ecgaug default", None, "ecgaug", False, True),
    ("ecgaug default", None, "ecgaug", True, True),
    ("2 threads", 2, None, False, False),
    ("2 threads", 2, None, True, False),
    ("2 threads, PASSIVE", 2, "PASSIVE", False, False),
    ("2 threads, PASSIVE", 2, "PASSIVE", True, False),
    ("1 thread", 1, None, False, False),
    ("1 thread", 1, None, True, False),
    ("2 threads", 2, None, False, True),
    ("2 threads, PASSIVE", 2, "PASSIVE", False, True),
)
_BUSY = "while True:\n    pass\n"


# --------------------------------------------------------------------------- #
# the child: one fit, timed                                                   #
# --------------------------------------------------------------------------- #
def child(workload: str, budget: str, one_cpu: bool, torch_first: bool) -> dict:
    """Time one fit of ``workload`` in this process."""
    if torch_first:  # ecgaug cannot choose OMP_WAIT_POLICY: libgomp's default
        importlib.import_module("torch")
    importlib.import_module("ecgaug")  # before torch, as a user would
    import numpy as np
    import torch

    torch.get_num_threads()  # torch sizes its pool from the cores it sees
    if one_cpu:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from ecgaug._threads import fit_threads
    from ecgaug.datasets import load_sample

    size = SIZES[budget]
    X, y = load_sample(return_X_y=True)
    idx = np.random.RandomState(0).permutation(len(y))[: size["n_beats"]]
    X, y = X[idx], y[idx]
    if workload == "classifier_fit":
        from ecgaug.classifiers import ResNetClassifier

        est = ResNetClassifier(
            module__n_blocks=1,
            max_epochs=size["classifier_epochs"],
            batch_size=64,
            train_split=None,
            device="cpu",
            random_state=0,
        )
        fit = lambda: est.fit(X, y)  # noqa: E731
    else:
        from ecgaug.generators import CGANSampler

        est = CGANSampler(
            n_epochs=size["sampler_epochs"], device="cpu", random_state=0, verbose=0
        )
        fit = lambda: est.fit(X, y)  # noqa: E731
    threads = fit_threads()
    start = time.perf_counter()
    fit()
    return {
        "seconds": time.perf_counter() - start,
        "threads_in_fit": threads,
        "torch_threads_outside": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


# --------------------------------------------------------------------------- #
# the parent                                                                  #
# --------------------------------------------------------------------------- #
def _env(threads: int | None, wait: str | None) -> dict[str, str]:
    drop = {
        "OMP_WAIT_POLICY",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "ECGAUG_NUM_THREADS",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["ECGAUG_NO_MALLOC_TUNING"] = "1"  # the children keep the parent's malloc
    if threads is not None:
        env["ECGAUG_NUM_THREADS"] = str(threads)
    if wait in ("PASSIVE", "ACTIVE"):
        env["OMP_WAIT_POLICY"] = wait
    return env


def run_arm(workload, budget, arm, timeout: float) -> dict:
    """One child for one arm, with a busy competitor when the arm says so."""
    label, threads, wait, busy, one_cpu = arm
    competitor = subprocess.Popen([sys.executable, "-c", _BUSY]) if busy else None
    cmd = [sys.executable, __file__, "--child", workload, budget]
    cmd += ["one_cpu"] if one_cpu else []
    cmd += ["torch_first"] if wait is None else []
    start = time.perf_counter()
    try:
        out = subprocess.run(
            cmd,
            env=_env(threads, wait),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "timed_out_after_s": round(timeout, 1)}
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    if out.returncode != 0:
        raise RuntimeError(f"{workload} {arm} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_s"] = time.perf_counter() - start  # with the imports
    return res


def _key(arm) -> str:
    label, _, _, busy, one_cpu = arm
    return (
        f"{label} | {'busy' if busy else 'idle'} | {'1 CPU' if one_cpu else 'all CPUs'}"
    )


def measure(workload: str, budget: str, repeats: int) -> dict:
    """Every arm ``repeats`` times, interleaved; the default/idle arm first.

    A child is killed after the first reference child's start-up time (its
    imports) plus ``TIMEOUT_FACTOR`` times its fit time; a killed arm's fit
    took at least the timeout less that start-up time.
    """
    arms = ARMS[:2] if budget == "smoke" else ARMS  # smoke: seconds, for the tests
    runs: dict[str, list[dict]] = {_key(a): [] for a in arms}
    timeout, startup = 600.0, 0.0
    for r in range(repeats):
        for arm in arms:
            res = run_arm(workload, budget, arm, timeout)
            runs[_key(arm)].append(res)
            shown = f"{res['seconds']:.1f} s" if res["seconds"] else "timeout"
            print(f"  {workload} rep {r}: {_key(arm)}: {shown}", flush=True)
            if r == 0 and arm == ARMS[0] and res["seconds"]:
                startup = res["wall_s"] - res["seconds"]
                timeout = max(30.0, startup + TIMEOUT_FACTOR * res["seconds"])
    rows = {}
    for key, rs in runs.items():
        done = [x["seconds"] for x in rs if x["seconds"] is not None]
        rows[key] = {
            "median_s": statistics.median(done) if len(done) == len(rs) else None,
            "lower_bound_s": None if len(done) == len(rs) else timeout - startup,
            "seconds": [x["seconds"] for x in rs],
            "threads_in_fit": next(
                (x["threads_in_fit"] for x in rs if "threads_in_fit" in x), None
            ),
        }
    ref = rows[_key(ARMS[0])]["median_s"]
    for row in rows.values():
        if row["median_s"] is not None:
            row["slowdown"] = row["median_s"] / ref
        else:
            row["slowdown_at_least"] = row["lower_bound_s"] / ref
    return {
        "arms": rows,
        "reference": _key(ARMS[0]),
        "timeout_s": timeout,
        "startup_s": startup,
    }


def _cell(row: dict) -> tuple[str, str]:
    if row["median_s"] is None:
        return (
            f"> {row['lower_bound_s']:.0f} (killed)",
            f"> {row['slowdown_at_least']:.1f}x",
        )
    return f"{row['median_s']:.1f}", f"{row['slowdown']:.2f}x"


def markdown(rep: dict) -> str:
    lines = [
        *C.header_markdown(rep, "torch threads against a competing busy process"),
        f"- settings: {rep['sizes']}; {rep['repeats']} fresh child process(es) per "
        "arm, interleaved; slowdown = median time / median time of `ecgaug default "
        "/ idle / all CPUs` of the same workload in this run",
        "- busy: one `while True: pass` Python process started before the child and "
        "killed after it; 1 CPU: `os.sched_setaffinity` to one core after torch "
        "counted all cores (a container with a one-CPU quota)",
        "- load average (1 min) before each workload: "
        + ", ".join(f"{w} {v}" for w, v in rep["load_before"].items()),
        "",
    ]
    for goal in rep["goals"]:
        lines.append(f"- {goal}")
    for workload, res in rep["results"].items():
        lines += ["", f"## {workload}", ""]
        rows = []
        for key, row in res["arms"].items():
            secs, slow = _cell(row)
            rows.append([key, row["threads_in_fit"], secs, slow])
        lines += C.md_table(
            [
                "arm (threads, wait policy | load | CPUs)",
                "threads in fit",
                "s",
                "slowdown",
            ],
            rows,
        )
    return "\n".join(lines) + "\n"


def goals(results: dict) -> list[str]:
    """Busy vs idle, ecgaug's default, against the 3x of issue 18."""
    out = []
    for workload, res in results.items():
        busy = res["arms"][_key(ARMS[1])]
        ratio = busy.get("slowdown") or busy.get("slowdown_at_least")
        met = busy.get("slowdown") is not None and ratio <= 3.0
        out.append(
            f"{workload}: ecgaug's default with one busy process "
            f"{'' if busy.get('slowdown') else '> '}{ratio:.2f}x of idle: "
            + ("within 3x, met" if met else "NOT met (goal: within 3x)")
        )
    return out


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    args = C.finish_args(parser.parse_args(argv))
    report = C.Report(NAME, args, argv)
    report["repeats"] = REPEATS[args.budget]
    report["sizes"] = SIZES[args.budget]
    workloads = WORKLOADS[:1] if args.budget == "smoke" else WORKLOADS
    results, load = {}, {}
    for workload in workloads:
        load[workload] = round(os.getloadavg()[0], 2)
        print(f"{workload} (load {load[workload]})", flush=True)
        results[workload] = measure(workload, args.budget, REPEATS[args.budget])
    report["load_before"] = load
    report["results"] = results
    report["goals"] = goals(results)
    return report.write(markdown)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        one_cpu, torch_first = "one_cpu" in sys.argv, "torch_first" in sys.argv
        print(json.dumps(child(sys.argv[2], sys.argv[3], one_cpu, torch_first)))
    else:
        C.ensure_malloc_tuning()
        main()
    sys.exit(0)
