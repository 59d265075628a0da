"""Run every benchmark of the standard budget, in order, with one generator cache.

The standard budget (``benchmarks/_common.py``) is what a 2-core CPU can show
in a night or two. Its steps, in the order they run:

1. ``classifier_trtr``: the classifier alone, 5 and 1 blocks, 12 epochs (is the
   anchor reached? no resampling must score intra-patient macro-F1 >= 0.90);
2. ``generators``: every generator of the budget (and its variants, e.g.
   judge-filtered sampling) fitted once per seed on the intra-patient training
   split, and once (seed 0) on the DS1 training records, two torch threads
   each, into the generator cache (``$ECGAUG_CACHE/benchmarks``): the tables
   below load them instead of fitting again;
3. ``table1_protocols``, 4. ``table2_finetune``, 5. ``oversampling``,
6. ``filter_throughput`` (judge-filtered against unfiltered sampling of the
   cached diffusion generators), 7. ``interpatient`` (DS1 -> DS2 on context
   windows and RR features; it fits its own ``WithTabular`` generators), 8.
   ``quality_report``, 9. ``table4_cross_task``, 10. ``table3_finetune_ptb``:
   each as
   ``python benchmarks/<name>.py --budget standard``, in a child process,
   its results in ``--out``.

This script writes ``run_standard.json`` / ``.md``: each step's command,
exit status and wall time. The standard budget refuses to start on a tree with
uncommitted code (``--allow-uncommitted`` to run anyway: every result is then
stamped UNCOMMITTED). ``--budget smoke`` runs the very same sequence in
minutes on the bundled sample (an end-to-end check); ``--dry-run`` prints the
plan.

Usage::

    python benchmarks/run_standard.py                 # everything, ~1-2 days
    python benchmarks/run_standard.py --only table1_protocols oversampling
    python benchmarks/run_standard.py --budget smoke --out /tmp/smoke
    # stopped? the same command with --resume: the steps that keep their
    # finished jobs (RESUMABLE) run only the rest, stopped fits go on
    python benchmarks/run_standard.py --resume
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import _common as C

NAME = "run_standard"
SEEDS = {"smoke": [0], "quick": [0], "standard": [0, 1, 2]}
#: The steps, in order; "generators" runs in this process.
STEPS = (
    "classifier_trtr",
    "generators",
    "table1_protocols",
    "table2_finetune",
    "oversampling",
    "filter_throughput",
    "interpatient",
    "quality_report",
    "table4_cross_task",
    "table3_finetune_ptb",
)
#: Scripts whose ``--out`` is a path without suffix (the others: a folder).
OUT_IS_PATH = ("classifier_trtr", "quality_report")
#: Rough wall time of each step on this 2-core CPU (hours, standard budget).
HOURS = {
    "classifier_trtr": 1.5,
    # DiffWave measured: three seeds at once in 39 min (bf5e688); the GANs and
    # the DS1 fits estimated alike
    "generators": 3.0,
    "table1_protocols": 6.0,
    "table2_finetune": 4.0,
    "oversampling": 8.0,
    # three cached generators, 2,000 beats each way three times
    "filter_throughput": 0.2,
    # 25 classifier fits of ~8 min two at a time (measured: the no-resampling,
    # class-weight and SMOTE arms), two generators ~50 min each, sampling
    "interpatient": 4.5,
    "quality_report": 1.0,
    "table4_cross_task": 2.0,
    "table3_finetune_ptb": 0.1,
}


#: Steps whose scripts keep each finished job with ``--resume``.
RESUMABLE = ("oversampling", "table1_protocols", "table2_finetune")


def step_command(step: str, args: argparse.Namespace) -> list[str]:
    """The command line of one benchmark script."""
    script = Path(__file__).resolve().parent / f"{step}.py"
    out = Path(args.out)
    cmd = [sys.executable, str(script), "--budget", args.budget]
    cmd += ["--out", str(out / step if step in OUT_IS_PATH else out)]
    cmd += ["--data-home", args.data_home]
    if step != "classifier_trtr":
        cmd += ["--cache-dir", str(args.cache_dir)]
    if args.allow_uncommitted:
        cmd.append("--allow-uncommitted")
    if args.resume and step in RESUMABLE:
        cmd.append("--resume")
        if args.job_store is not None:
            cmd += ["--job-store", str(args.job_store)]
    return cmd


def fit_all(args: argparse.Namespace) -> dict:
    """Fit (or find in the cache) every generator the tables will load.

    Intra-patient training split: one generator per name and seed (the seeds
    of ``table1_protocols`` for this budget, mapped by
    :func:`_models.generator_seed`); DS1 training records: seed 0. One at a
    time with ``--threads`` torch threads (default 2).
    """
    import _models as M
    import table1_protocols

    found, missing = M.generator_classes(args.budget)
    names = list(found)
    fit_args = argparse.Namespace(
        budget=args.budget,
        device=args.device,
        cache_dir=args.cache_dir,
        threads=args.threads,
        jobs=1,
    )
    M.set_threads(args.threads)
    X, y, *_ = C.load_intra(args)
    seeds = sorted(
        {M.generator_seed(args.budget, s) for s in table1_protocols.SEEDS[args.budget]}
    )
    fits = []
    for seed in seeds:
        print(f"== intra-patient training split: {names}, seed {seed}", flush=True)
        for info in M.fit_generators(names, X, y, args=fit_args, seed=seed).values():
            fits.append({"data": "intra-patient train"} | M.public_info(info))
    ds1, _, _ = C.load_inter(args)
    tr, _, _ = C.ds1_validation_split(ds1)
    print(f"== DS1 training records: {names}, seed {M.GENERATOR_SEED}", flush=True)
    for info in M.fit_generators(
        names, ds1.data[tr], ds1.target[tr], args=fit_args
    ).values():
        fits.append({"data": "DS1 training records"} | M.public_info(info))
    for f in fits:
        state = "cache" if f["cached"] else "fitted"
        print(
            f"   {f['data']}: {f['name']} seed {f['seed']}: {state}, "
            f"{f['fit_time_s']:.0f} s {M.refit_note(f)}"
        )
    return {"fits": fits, "missing": missing}


def markdown(rep: dict) -> str:
    import _models as M

    lines = [
        *C.header_markdown(rep, "All benchmarks of one budget, in order"),
        f"- generator cache: {rep['generator_cache']}",
        "",
    ]
    rows = []
    for s in rep["steps"]:
        rows.append(
            [
                s["step"],
                f"`{s['command']}`" if s.get("command") else "(in process)",
                s.get("returncode", "–"),
                f"{s['wall_time_s']:.0f}" if "wall_time_s" in s else "–",
            ]
        )
    lines += C.md_table(["step", "command", "exit status", "wall s"], rows)
    fits = rep.get("generators", {}).get("fits", [])
    if fits:
        lines += ["", "## Generators", ""]
        lines += C.md_table(
            ["data", "generator", "seed", "fit s", "epochs", "from the cache", "note"],
            [
                [
                    f["data"],
                    f["name"],
                    f["seed"],
                    f"{f['fit_time_s']:.0f}",
                    f.get("epochs"),
                    f["cached"],
                    M.refit_note(f) or "–",
                ]
                for f in fits
            ],
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    parser.set_defaults(budget="standard")
    parser.add_argument(
        "--only", nargs="+", choices=STEPS, default=None, help="run these steps"
    )
    parser.add_argument(
        "--skip", nargs="+", choices=STEPS, default=(), help="leave these out"
    )
    parser.add_argument(
        "--keep-going", action="store_true", help="go on after a failed step"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan")
    args = parser.parse_args(argv)
    if args.budget == "full":
        parser.error("--budget full is for a GPU: run the scripts one by one there")
    if args.threads is None:
        args.threads = 2
    threads = args.threads
    allow = args.allow_uncommitted
    # a dry run only prints the plan: it never refuses the tree
    args.allow_uncommitted = allow or args.dry_run
    args = C.finish_args(args)
    args.allow_uncommitted = allow
    args.threads = threads
    if args.cache_dir is None:
        parser.error("the steps share fitted generators: drop --no-cache")
    steps = [s for s in (args.only or STEPS) if s not in args.skip]
    steps = [s for s in STEPS if s in steps]  # always in the order of STEPS
    plan = [(s, None if s == "generators" else step_command(s, args)) for s in steps]
    total = sum(HOURS[s] for s in steps)
    print(f"{len(steps)} step(s), roughly {total:.0f} h at the standard budget:")
    for s, cmd in plan:
        print(f"  {s}: {' '.join(cmd) if cmd else 'fit every generator in process'}")
    if args.dry_run:
        return {"plan": plan}
    report = C.Report(NAME, args, argv)
    report["steps"] = []
    for step, cmd in plan:
        start = time.perf_counter()
        entry: dict = {"step": step}
        if cmd is None:
            report["generators"] = fit_all(args)
            entry["returncode"] = 0
        else:
            print(f"\n==== {step}: {' '.join(cmd)}", flush=True)
            entry["command"] = " ".join(cmd[1:])
            entry["returncode"] = subprocess.run(cmd, check=False).returncode
        entry["wall_time_s"] = round(time.perf_counter() - start, 1)
        report["steps"].append(entry)
        if entry["returncode"] != 0 and not args.keep_going:
            print(f"{step} failed (exit {entry['returncode']}); stopping")
            break
    report["results"] = {s["step"]: s["returncode"] for s in report["steps"]}
    return report.write(markdown)


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    rep = main()
    sys.exit(0 if all(v == 0 for v in rep.get("results", {}).values()) else 1)
