"""Speed and memory: generator training and sampling, classifier epochs, peak RSS.

Measured on the machine it runs on, on real MIT-BIH beats (the intra-patient
training split; the bundled sample for ``--budget smoke``):

1. **Generator training step** per sampler and preset (``cpu``, ``paper``):
   the mean time of the optimisation steps of a second epoch over a subset of
   ``steps x batch_size`` training beats (the first epoch builds the networks
   and warms the allocator), and the beats per second it processes.
2. **Sampling throughput** per sampler and preset: ``sample(n)`` after one
   warm-up call, beats per second (the preset's own sampler settings, e.g.
   the diffusion model's fast 6-step schedule for ``cpu`` and DDPM-50 for
   ``paper``). Weights are those of the short training above: speed does
   not depend on how well a network is trained.
3. **Classifier epochs**: the paper's 1-block and Kachuee's 5-block
   :class:`~ecgaug.classifiers.ResNetClassifier`, one epoch over the whole
   training split (batch 256), and prediction throughput.
4. **Peak RSS while sampling** ``n_rss`` beats (550 k, the paper's pretraining
   set, where the sampler is fast enough for the budget), in a fresh child
   process per measurement: streaming with ``iter_sample`` (batches consumed
   and dropped) and materialising with ``sample``; the child reports its peak
   resident memory and its resident memory before sampling (``VmHWM`` and
   ``VmRSS`` of ``/proc/self/status``).
5. **Oversampling cost per 1 k minority beats**: SMOTE's ``fit_resample`` on
   the training split (``"auto"``) against each generator's sampling time per
   1 k beats (plus, once, the generator's training: see the step times).
6. **Grid throughput** (``--section grid`` runs this part alone and writes
   ``speed_grid.json``/``.md``): one Table-1-like grid of independent fits
   (the budget's classifier, one fit per seed on the same real beats, each
   on one torch thread, scored by macro-F1 on real test beats) run by
   ``benchmarks/_models.run_parallel`` (joblib) serially, with ``n_jobs=2``
   (loky processes), and inside ``joblib.parallel_config(backend="dask")`` on
   a ``dask.distributed.LocalCluster`` of 1 and of 2 single-thread worker
   processes: wall times, speed-ups, and a check that every arm gives the
   same scores. Workers are started and warmed (imports) before the timing;
   the load average of the machine is recorded before and after each arm.

With ``--device cuda`` (or ``auto`` on a machine with a GPU) the generator
measurements run on the GPU and are reported as such; on a CPU-only machine
no GPU figure is produced.

Usage::

    python benchmarks/speed.py --budget quick
    python benchmarks/speed.py --budget quick --section grid
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C
import _models as M
import numpy as np

NAME = "speed"
SEEDS = {"smoke": [0], "quick": [0], "full": [0]}
PRESETS = {"smoke": ("cpu",), "quick": ("cpu", "paper"), "full": ("cpu", "paper")}
#: Optimisation steps timed per (budget, preset).
STEPS = {
    "smoke": {"cpu": 3},
    "quick": {"cpu": 20, "paper": 4},
    "full": {"cpu": 50, "paper": 30},
}
#: Seconds of sampling aimed at per throughput measurement.
SAMPLE_SECONDS = {"smoke": 0.2, "quick": 5.0, "full": 20.0}
#: Peak-RSS measurement: beats wanted, and the most seconds one may take.
N_RSS = {"smoke": 5_000, "quick": 550_000, "full": 550_000}
RSS_SECONDS = {"smoke": 30, "quick": 40, "full": 600}
#: How many generators get the (child-process) peak-RSS measurement.
RSS_GENERATORS = {"smoke": 1, "quick": None, "full": None}
CLASSIFIER_BLOCKS = {"smoke": (1,), "quick": (1, 5), "full": (1, 5)}
#: Grid throughput: independent fits, batches per epoch of each, training beats.
GRID_FITS = {"smoke": 4, "quick": 8, "full": 16}
GRID_STEPS = {"smoke": 2, "quick": 20, "full": 60}
GRID_TRAIN = {"smoke": 400, "quick": 10_000, "full": 20_000}
GRID_GOAL = 1.7  # speed-up of 2 workers on 2 cores


def _status_mib(field: str) -> float | None:
    """A memory field of /proc/self/status (Linux), MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mib() -> float:
    """Resident memory now, MiB."""
    now = _status_mib("VmRSS")
    if now is None:
        import psutil

        now = psutil.Process().memory_info().rss / 2**20
    return now


def peak_mib() -> float:
    """Peak resident memory of this process image, MiB.

    ``VmHWM`` where /proc has it: ``getrusage``'s ``ru_maxrss`` would carry
    over the parent's peak through fork and exec on Linux.
    """
    peak = _status_mib("VmHWM")
    if peak is None:
        scale = 1 if sys.platform == "darwin" else 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    return peak


def rss_child(path: str, mode: str, n: int, device: str, threads: int) -> None:
    """In a fresh process: load a sampler, draw ``n`` beats, print the memory."""
    M.set_threads(threads)
    found, _ = M.generator_classes()
    meta = json.loads(Path(path).with_suffix(".json").read_text())
    sampler = found[meta["name"]].load(path, device=device)
    labels = np.arange(n) % len(sampler.classes_)
    sampler.sample(64, y=sampler.classes_[labels[:64]])  # warm-up: build kernels
    before = rss_mib()
    start = time.perf_counter()
    if mode == "iter_sample":
        total = 0
        for xb, _ in sampler.iter_sample(n, y=sampler.classes_[labels]):
            total += len(xb)
    else:
        X, _ = sampler.sample(n, y=sampler.classes_[labels])
        total = len(X)
    elapsed = time.perf_counter() - start
    peak = peak_mib()
    print(
        json.dumps(
            {
                "mode": mode,
                "n": total,
                "seconds": round(elapsed, 2),
                "rss_before_mib": round(before, 1),
                "peak_rss_mib": round(peak, 1),
                "output_mib": round(total * sampler.n_features_in_ * 4 / 2**20, 1),
            }
        )
    )


def subset(X, y, n: int, seed: int = 0):
    """About ``n`` beats in the class proportions of ``y``, at least 2 per class."""
    rng = np.random.RandomState(seed)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = min(len(idx), max(2, round(n * len(idx) / len(y))))
        keep.append(rng.choice(idx, k, replace=False))
    keep = np.sort(np.concatenate(keep))
    return X[keep], y[keep]


def time_generator(name: str, preset: str, X, y, args) -> tuple[dict, object]:
    """Train-step time and sampling throughput of one generator and preset."""
    if args.budget == "smoke":  # tiny networks, for the tests
        sampler = M.make_generator(name, "smoke", device=args.device)
    else:  # the presets as they are
        found, _ = M.generator_classes()
        sampler = found[name](preset=preset, random_state=0, device=args.device)
    sampler.set_params(n_epochs=2)
    batch = int(sampler.batch_size or sampler._presets[preset]["batch_size"])
    steps = STEPS[args.budget][preset]
    X_sub, y_sub = subset(X, y, steps * batch)
    start = time.perf_counter()
    sampler.fit(X_sub, y_sub)
    total = time.perf_counter() - start
    h = sampler.history_
    epoch2 = h[1]["time"] - h[0]["time"]
    n_steps = len(y_sub) // batch
    step = epoch2 / n_steps
    n_params = sum(
        p.numel()
        for m in sampler._module_names
        for p in getattr(sampler, m).parameters()
    )
    # sampling: warm up, then aim at SAMPLE_SECONDS
    labels = sampler.classes_
    t0 = time.perf_counter()
    sampler.sample(16, y=labels[np.arange(16) % len(labels)])
    rough = 16 / max(time.perf_counter() - t0, 1e-6)
    n = int(np.clip(rough * SAMPLE_SECONDS[args.budget], 32, 200_000))
    t0 = time.perf_counter()
    sampler.sample(n, y=labels[np.arange(n) % len(labels)])
    throughput = n / (time.perf_counter() - t0)
    config = sampler.config_
    return {
        "generator": name,
        "preset": preset,
        "device": str(sampler.device_),
        "batch_size": batch,
        "parameters": int(n_params),
        "steps_timed": n_steps,
        "train_step_s": round(step, 4),
        "train_beats_per_s": round(batch / step, 1),
        "first_epoch_s": round(h[0]["time"], 2),
        "fit_total_s": round(total, 2),
        "sample_n": n,
        "sample_beats_per_s": round(throughput, 1),
        "sampling": {
            k: config[k]
            for k in ("sampler", "n_sampling_steps", "sample_batch_size")
            if k in config
        },
    }, sampler


def time_classifier(n_blocks: int, X, y, args) -> dict:
    """One epoch over the training split and the prediction throughput."""
    from ecgaug.classifiers import ResNetClassifier

    clf = ResNetClassifier(
        module__n_blocks=n_blocks,
        module__n_filters=M.CLASSIFIER[args.budget]["n_filters"],
        max_epochs=1,
        batch_size=256,
        train_split=None,
        device=args.device,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    epoch = time.perf_counter() - start
    start = time.perf_counter()
    clf.predict(X)
    predict = time.perf_counter() - start
    return {
        "n_blocks": n_blocks,
        "n_filters": M.CLASSIFIER[args.budget]["n_filters"],
        "parameters": int(sum(p.numel() for p in clf.module_.parameters())),
        "device": clf.device_,
        "n_train": int(len(y)),
        "epoch_s": round(epoch, 2),
        "train_beats_per_s": round(len(y) / epoch, 1),
        "predict_beats_per_s": round(len(y) / predict, 1),
    }


def measure_rss(sampler, throughput: float, args, tmp: Path) -> list[dict]:
    """Peak RSS of ``iter_sample`` and ``sample`` in fresh child processes."""
    path = tmp / f"{type(sampler).__name__}.pt"
    sampler.save(path)
    path.with_suffix(".json").write_text(json.dumps({"name": type(sampler).__name__}))
    want = N_RSS[args.budget]
    n = int(min(want, max(1_000, throughput * RSS_SECONDS[args.budget])))
    out = []
    for mode in ("iter_sample", "sample"):
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--rss-child",
            str(path),
            mode,
            str(n),
            "--device",
            args.device,
            "--threads",
            str(args.threads or 0),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"RSS child failed: {proc.stderr[-2000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["n_wanted"] = want
        out.append(row)
    return out


def smote_cost(X, y, seed: int) -> dict:
    from imblearn.over_sampling import SMOTE

    start = time.perf_counter()
    X_res, _ = SMOTE(random_state=seed).fit_resample(X, y)
    elapsed = time.perf_counter() - start
    n_new = len(X_res) - len(X)
    return {
        "n_generated": int(n_new),
        "seconds": round(elapsed, 2),
        "s_per_1k": round(1000 * elapsed / n_new, 4),
    }


def extrapolate(row: dict) -> str:
    """Peak RSS at ``n_wanted`` beats when the run was cut short by time.

    ``iter_sample`` holds one batch: its peak does not grow with the number of
    beats. ``sample`` also holds the output array, which grows linearly.
    """
    if row["n"] >= row["n_wanted"]:
        return "measured"
    if row["mode"] == "iter_sample":
        return f"{row['peak_rss_mib']:.0f} (one batch at a time)"
    per_beat = row["output_mib"] / row["n"]
    peak = row["peak_rss_mib"] + per_beat * (row["n_wanted"] - row["n"])
    return f"{peak:.0f} (+ output array)"


# --------------------------------------------------------------------------- #
# grid throughput: joblib and Dask                                            #
# --------------------------------------------------------------------------- #
def _grid_fit(seed: int, X, y, X_test, y_test, budget: str, threads: int) -> float:
    """One fit of the grid: the budget's classifier, macro-F1 on the test beats."""
    from sklearn.metrics import f1_score

    M.set_threads(threads)
    clf = M.make_classifier(
        budget,
        seed=seed,
        device="cpu",
        steps_per_epoch=GRID_STEPS[budget],
        classes=list(np.unique(y)),
    )
    clf.fit(X, y)
    return float(f1_score(y_test, clf.predict(X_test), average="macro"))


def _warm(_: int) -> int:
    """A one-batch fit: a fresh worker's imports and first-call costs."""
    rng = np.random.default_rng(0)
    X = rng.random((64, 187), dtype=np.float32)
    M.set_threads(1)
    M.make_classifier("smoke", seed=0, device="cpu", steps_per_epoch=1).fit(
        X, np.arange(64) % 2
    )
    return os.getpid()


def _timed_arm(name: str, jobs: list, n_jobs: int) -> dict:
    """Warm the workers, then time the grid through ``M.run_parallel``."""
    load_before = os.getloadavg()
    start = time.perf_counter()
    pids = M.run_parallel(_warm, [(i,) for i in range(2 * n_jobs)], n_jobs=n_jobs)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    scores = M.run_parallel(_grid_fit, jobs, n_jobs=n_jobs)
    wall = time.perf_counter() - start
    row = {
        "arm": name,
        "n_jobs": n_jobs,
        "processes": len(set(pids)),
        "warm_up_s": round(warm, 2),
        "wall_s": round(wall, 2),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "scores": scores,
    }
    print(f"   {name}: {wall:.1f} s (warm-up {warm:.1f} s)", flush=True)
    return row


def _autogroup() -> bool | None:
    """Whether Linux groups the processes of a session into one fair share."""
    try:
        return (
            Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
        )
    except OSError:
        return None


def grid_throughput(X, y, X_test, y_test, args) -> dict:
    """Serial vs joblib ``n_jobs=2`` vs a LocalCluster of 1 and 2 workers."""
    import joblib

    X_fit, y_fit = subset(X, y, GRID_TRAIN[args.budget], seed=0)
    X_ev, y_ev = subset(X_test, y_test, 5000, seed=1)
    threads = 1
    jobs = [
        (seed, X_fit, y_fit, X_ev, y_ev, args.budget, threads)
        for seed in range(GRID_FITS[args.budget])
    ]
    M.set_threads(threads)
    arms = [_timed_arm("serial", jobs, 1), _timed_arm("joblib n_jobs=2", jobs, 2)]
    note = None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        note = "dask.distributed is not installed (pip install ecgaug[dask])"
    if note is None:
        for n_workers in (1, 2):
            with (
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    worker_dashboard_address=None,
                ) as cluster,
                Client(cluster),
                joblib.parallel_config(backend="dask"),
            ):
                arms.append(
                    _timed_arm(f"dask LocalCluster, {n_workers} worker(s)", jobs, 1)
                )
    by = {a["arm"]: a for a in arms}
    serial = by["serial"]["wall_s"]
    speedups = {"joblib n_jobs=2 vs serial": round(serial / arms[1]["wall_s"], 2)}
    if len(arms) == 4:
        speedups["dask 2 workers vs 1"] = round(
            arms[2]["wall_s"] / arms[3]["wall_s"], 2
        )
        speedups["dask 2 workers vs serial"] = round(serial / arms[3]["wall_s"], 2)
    return {
        "n_fits": len(jobs),
        "fit": (
            f"ResNetClassifier ({args.budget} budget: "
            f"{M.CLASSIFIER[args.budget]['n_blocks']} block(s), "
            f"{M.CLASSIFIER[args.budget]['epochs']} epochs of "
            f"{GRID_STEPS[args.budget]} batches of "
            f"{M.CLASSIFIER[args.budget]['batch_size']}) on {len(y_fit)} training "
            f"beats, macro-F1 on {len(y_ev)} test beats, one seed per fit, "
            f"{threads} torch thread per fit"
        ),
        "cpus": os.cpu_count(),
        "arms": arms,
        "speedups": speedups,
        "identical_scores": all(a["scores"] == arms[0]["scores"] for a in arms),
        "autogroup": _autogroup(),
        "goal": C.goal(
            speedups.get("dask 2 workers vs 1"), GRID_GOAL, "dask 2 workers vs 1"
        ),
        "goal_joblib": C.goal(
            speedups["joblib n_jobs=2 vs serial"], GRID_GOAL, "joblib n_jobs=2"
        ),
        "note": note,
    }


def grid_markdown(grid: dict) -> list[str]:
    """The grid-throughput section."""
    lines = [
        "",
        "## Grid throughput: serial, joblib and Dask",
        "",
        f"{grid['n_fits']} independent fits: {grid['fit']}; {grid['cpus']} CPUs. "
        "Workers started and warmed before timing; load average "
        "(1, 5, 15 min) before and after each arm.",
        "",
    ]
    lines += C.md_table(
        ["arm", "processes", "wall s", "warm-up s", "load before", "load after"],
        [
            [
                a["arm"],
                a["processes"],
                f"{a['wall_s']:.1f}",
                f"{a['warm_up_s']:.1f}",
                ", ".join(f"{v:.2f}" for v in a["load_before"]),
                ", ".join(f"{v:.2f}" for v in a["load_after"]),
            ]
            for a in grid["arms"]
        ],
    )
    lines += [""]
    lines += [f"- speed-up {k}: **{v:.2f}x**" for k, v in grid["speedups"].items()]
    lines += [
        f"- goal (>= {GRID_GOAL}x for 2 workers on 2 cores): "
        f"{grid['goal']['text']}; {grid['goal_joblib']['text']}",
        "- same macro-F1 of every fit in every arm: "
        + ("yes" if grid["identical_scores"] else "**no**"),
    ]
    if grid["note"]:
        lines.append(f"- {grid['note']}")
    if grid.get("autogroup"):
        lines.append(
            "- Linux autogroup scheduling is on: while other sessions load the "
            "machine, all the processes of this run share one session's fair "
            "share of the CPUs, so a second worker process gets no more CPU "
            "time; under load these figures measure that share, not the "
            "scaling. Rerun on a quiet machine to measure the speed-up."
        )
    return lines


def markdown(rep: dict) -> str:
    lines = [
        *C.header_markdown(rep, "Speed and memory"),
        f"- data: {rep['data']}",
        f"- GPU: {rep['gpu_note']}",
        "",
        "## Generators: training step and sampling",
        "",
    ]
    rows = [
        [
            g["generator"],
            g["preset"],
            g["device"],
            f"{g['parameters']:,}",
            g["batch_size"],
            f"{1000 * g['train_step_s']:.0f}",
            f"{g['train_beats_per_s']:.0f}",
            f"{g['sample_beats_per_s']:.0f}",
            ", ".join(f"{k}={v}" for k, v in g["sampling"].items()),
        ]
        for g in rep["generators"]
    ]
    lines += C.md_table(
        [
            "generator",
            "preset",
            "device",
            "parameters",
            "batch",
            "train step ms",
            "train beats/s",
            "sample beats/s",
            "sampling",
        ],
        rows,
    )
    lines += ["", "## Classifier", ""]
    lines += C.md_table(
        [
            "blocks",
            "filters",
            "parameters",
            "device",
            "epoch s (n beats)",
            "train beats/s",
            "predict beats/s",
        ],
        [
            [
                c["n_blocks"],
                c["n_filters"],
                f"{c['parameters']:,}",
                c["device"],
                f"{c['epoch_s']:.1f} ({c['n_train']})",
                f"{c['train_beats_per_s']:.0f}",
                f"{c['predict_beats_per_s']:.0f}",
            ]
            for c in rep["classifiers"]
        ],
    )
    lines += ["", "## Peak RSS while sampling (fresh process per row)", ""]
    rows = []
    for name, runs in rep["rss"].items():
        for r in runs:
            rows.append(
                [
                    name,
                    r["mode"],
                    f"{r['n']:,}"
                    + (
                        ""
                        if r["n"] >= r["n_wanted"]
                        else f" (of {r['n_wanted']:,}: time cap)"
                    ),
                    f"{r['seconds']:.0f}",
                    f"{r['rss_before_mib']:.0f}",
                    f"{r['peak_rss_mib']:.0f}",
                    f"{r['peak_rss_mib'] - r['rss_before_mib']:.0f}",
                    f"{r['output_mib']:.0f}",
                    extrapolate(r),
                ]
            )
    lines += C.md_table(
        [
            "generator (cpu preset)",
            "mode",
            "beats",
            "s",
            "RSS before MiB",
            "peak RSS MiB",
            "peak - before",
            "output array MiB",
        ],
        rows,
    )
    lines += ["", "## Oversampling cost per 1 k minority beats", ""]
    s = rep["oversampling_cost"]
    rows = [
        [
            "SMOTE (fit_resample, 'auto')",
            f"{1000 * s['smote']['s_per_1k']:.0f}",
            f"{s['smote']['n_generated']:,} beats in {s['smote']['seconds']:.1f} s",
        ]
    ]
    for g in rep["generators"]:
        if g["preset"] != "cpu":
            continue
        rows.append(
            [
                f"{g['generator']} (cpu preset, sampling only)",
                f"{1e6 / g['sample_beats_per_s']:.0f}",
                f"+ training once: {g['train_step_s']:.3f} s per step of "
                f"{g['batch_size']} beats",
            ]
        )
    lines += C.md_table(["method", "ms per 1 k beats", "note"], rows)
    if "grid" in rep:
        lines += grid_markdown(rep["grid"])
    return "\n".join(lines) + "\n"


def grid_only_markdown(rep: dict) -> str:
    """``--section grid``: the header and the grid section."""
    lines = [*C.header_markdown(rep, "Grid throughput"), f"- data: {rep['data']}"]
    return "\n".join(lines + grid_markdown(rep["grid"])) + "\n"


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--rss-child", nargs=3, metavar=("PATH", "MODE", "N"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--section",
        choices=("all", "grid"),
        default="all",
        help="'grid': only the grid throughput (serial, joblib, Dask), written "
        "to speed_grid.json/.md",
    )
    args = parser.parse_args(argv)
    if args.rss_child:
        path, mode, n = args.rss_child
        M.set_threads(args.threads)
        rss_child(path, mode, int(n), args.device, args.threads)
        return {}
    args = C.finish_args(args)
    args.jobs = 1  # timings: one process at a time
    if args.section == "grid":
        report = C.Report(f"{NAME}_grid", args, argv)
        report["command"] = " ".join(
            [
                "python",
                f"benchmarks/{NAME}.py",
                *(sys.argv[1:] if argv is None else argv),
            ]
        )
        X, y, X_test, y_test, source = C.load_intra(args)
        report["data"] = f"{source}: {len(y)} training beats"
        print("== grid throughput", flush=True)
        report["grid"] = grid_throughput(X, y, X_test, y_test, args)
        return report.write(grid_only_markdown)
    report = C.Report(NAME, args, argv)
    import torch

    on_gpu = args.device != "cpu" and torch.cuda.is_available()
    report["gpu_note"] = (
        f"measured on {torch.cuda.get_device_name(0)}"
        if on_gpu
        else "none on this machine: every figure here is a CPU figure; GPU "
        "figures come only from a run on a machine with one (--device cuda)"
    )
    X, y, X_test, y_test, source = C.load_intra(args)
    report["data"] = f"{source}: {len(y)} training beats"
    found, missing = M.generator_classes()
    report["generators_missing"] = missing
    gens, rss, fitted = [], {}, {}
    for name in found:
        for preset in PRESETS[args.budget]:
            print(f"== {name}, preset {preset}", flush=True)
            row, sampler = time_generator(name, preset, X, y, args)
            print(f"   {row}", flush=True)
            gens.append(row)
            if preset == "cpu":
                fitted[name] = (sampler, row["sample_beats_per_s"])
    report["generators"] = gens
    classifiers = []
    for n_blocks in CLASSIFIER_BLOCKS[args.budget]:
        print(f"== classifier, {n_blocks} block(s)", flush=True)
        classifiers.append(time_classifier(n_blocks, X, y, args))
        print(f"   {classifiers[-1]}", flush=True)
    report["classifiers"] = classifiers
    with tempfile.TemporaryDirectory() as tmp:
        for name, (sampler, throughput) in list(fitted.items())[
            : RSS_GENERATORS[args.budget]
        ]:
            print(f"== peak RSS, {name}", flush=True)
            rss[name] = measure_rss(sampler, throughput, args, Path(tmp))
            print(f"   {rss[name]}", flush=True)
    report["rss"] = rss
    report["oversampling_cost"] = {"smote": smote_cost(X, y, args.seeds[0])}
    print("== grid throughput", flush=True)
    report["grid"] = grid_throughput(X, y, X_test, y_test, args)
    report["environment"] = {
        k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    return report.write(markdown)


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    main()
    sys.exit(0)
