"""Synthetic quality report of every generative sampler of ecgaug on MIT-BIH.

For each sampler of ``ecgaug.generators.__all__`` (whatever it holds when the
script runs), fit it on the MIT-BIH training beats and run
:func:`ecgaug.evaluation.synthetic_quality_report` against the test beats:
Fréchet distance in the embedding of a residual classifier trained on the real
training beats (the same fitted classifier for every sampler, so that the
distances compare), RBF MMD, precision / recall / density / coverage,
discriminative AUC, label adherence, memorisation (DCR ratio, near-copy rate)
and the TRTR / TSTR / TRTS / TSTS / TRSTR protocols. Every row also holds the
value that real training beats reach in place of synthetic ones
(``reference``).

Budgets
-------
smoke   seconds: the bundled sample (``load_sample``), at most 100 training and
        60 test beats per class, 1 epoch per sampler and classifier (for tests).
quick   ~15 min on a 2-core CPU: the generators of the other benchmark
        scripts (``benchmarks/_models.py``, quick budget: the ``"cpu"`` presets
        fitted on the MIT-BIH training split capped at 10,000 beats per class,
        shared through the cache, so this report judges the generators of
        Table 1); the metrics on at most 1,000 training and 400 test beats per
        class of ``load_mitbih`` train/test, the paper's 1-block classifier for
        5 epochs, one repeat.
full    GPU-sized: the generators of ``_models.py``'s full budget (paper
        presets, every beat), all 87,556 / 21,890 beats, 20-epoch classifier,
        3 repeats of the protocols.

Usage::

    python benchmarks/quality_report.py --budget quick [--samplers TTSCGANSampler]

writes ``benchmarks/results/quality_report.json`` and ``.md`` (``--out``);
smoke runs write ``quality_report_smoke``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import ecgaug
from ecgaug._utils import atomic_path
from ecgaug.datasets import AAMI_CLASSES, load_mitbih, load_sample
from ecgaug.evaluation import synthetic_quality_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEED = 0

BUDGETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "data": "sample",
        "train_cap": 100,
        "test_cap": 60,
        "preset": "cpu",
        "max_epochs": 1,
        "classifier": {"module__n_blocks": 1, "module__n_filters": 8, "max_epochs": 1},
        "max_samples": 100,
        "cv": 2,
        "n_repeats": 1,
    },
    "quick": {
        "data": "mitbih",
        "train_cap": 1000,
        "test_cap": 400,
        "preset": "cpu",
        "max_epochs": 5,
        "classifier": {"module__n_blocks": 1, "max_epochs": 5},
        "max_samples": 1000,
        "cv": 5,
        "n_repeats": 1,
        "shared_generators": True,
    },
    "full": {
        "data": "mitbih",
        "train_cap": None,
        "test_cap": None,
        "preset": "paper",
        "max_epochs": None,
        "classifier": {"module__n_blocks": 1, "max_epochs": 20},
        "max_samples": 5000,
        "cv": 5,
        "n_repeats": 3,
        "shared_generators": True,
    },
}
#: Rows of the summary table, in order (pooled values, label "all").
SUMMARY = (
    "frechet_distance",
    "mmd_rbf",
    "precision",
    "density",
    "recall",
    "coverage",
    "discriminative_auc",
    "label_adherence",
    "dcr_ratio",
    "near_copy_rate",
    "TRTR_accuracy",
    "TSTR_accuracy",
    "TSTR_f1_macro",
    "TRTS_accuracy",
    "TSTS_accuracy",
    "TRSTR_accuracy",
    "TRSTR_f1_macro",
)
#: Rows of the per-class tables.
PER_CLASS = (
    "frechet_distance",
    "coverage",
    "discriminative_auc",
    "label_adherence",
    "near_copy_rate",
    "TSTR_class_recall",
    "TRSTR_class_recall",
)


def default_data_home() -> str | None:
    if "ECGAUG_DATA" in os.environ:
        return os.environ["ECGAUG_DATA"]
    shared = REPO.parent / "shared" / "data"
    return str(shared) if (shared / "mitdb").is_dir() else None


def cap_per_class(y: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """Sorted indices of at most ``cap`` beats per class, drawn with ``seed``."""
    if cap is None:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(y == c))[:cap] for c in np.unique(y)]
    return np.sort(np.concatenate(keep))


def load_data(cfg: dict, data_home: str | None):
    """``(X_train, y_train, X_test, y_test, source)`` capped per class."""
    if cfg["data"] == "sample":
        X, y = load_sample(split="train", return_X_y=True)
        X_test, y_test = load_sample(split="test", return_X_y=True)
        source = "load_sample() train/test"
    else:
        train = load_mitbih(data_home=data_home, split="train")
        test = load_mitbih(data_home=data_home, split="test")
        X, y, X_test, y_test = train.data, train.target, test.data, test.target
        source = "load_mitbih(split='train'/'test'), segmentation='kachuee'"
    tr = cap_per_class(y, cfg["train_cap"], SEED)
    te = cap_per_class(y_test, cfg["test_cap"], SEED + 1)
    if cfg["train_cap"] or cfg["test_cap"]:
        source += (
            f", at most {cfg['train_cap']} train / {cfg['test_cap']} test beats "
            "per class"
        )
    return X[tr], y[tr], X_test[te], y_test[te], source


def discover_samplers() -> dict[str, type]:
    """The sampler classes of ``ecgaug.generators.__all__``."""
    import ecgaug.generators as generators
    from ecgaug.base import BaseGenerativeSampler

    found = {}
    for name in generators.__all__:
        obj = getattr(generators, name)
        if isinstance(obj, type) and issubclass(obj, BaseGenerativeSampler):
            found[name] = obj
    return found


def build_sampler(cls: type, cfg: dict):
    """The sampler with the budget's preset, seed and epoch cap."""
    params = cls().get_params(deep=False)
    kwargs = {"random_state": SEED}
    if "preset" in params:
        kwargs["preset"] = cfg["preset"]
    if "verbose" in params:
        kwargs["verbose"] = 0
    sampler = cls(**kwargs)
    if cfg["max_epochs"] is not None and "n_epochs" in params:
        preset = getattr(sampler, "_presets", {}).get(cfg["preset"], {})
        epochs = preset.get("n_epochs", cfg["max_epochs"])
        sampler.set_params(n_epochs=int(min(epochs, cfg["max_epochs"])))
    return sampler


def shared_generators(budget: str, data_home: str | None):
    """The generators the other benchmark scripts judge, fitted or from the cache.

    Fitted by ``benchmarks/_models.py`` on the whole MIT-BIH training split
    (capped per class by that budget) and cached, so that this report and
    Table 1 describe the very same generators.
    """
    import _models as M

    train = load_mitbih(data_home=data_home, split="train")
    found, _ = M.generator_classes()
    args = argparse.Namespace(
        budget=budget,
        device="auto",
        cache_dir=C.default_cache_dir(),
        threads=torch.get_num_threads(),
        jobs=1,
    )
    infos = M.fit_generators(list(found), train.data, train.target, args=args)
    samplers = {n: M.load_fitted(i, device="auto") for n, i in infos.items()}
    return samplers, {n: M.public_info(i) for n, i in infos.items()}


def make_classifier(cfg: dict):
    from ecgaug.classifiers import ResNetClassifier

    return ResNetClassifier(
        train_split=None, random_state=SEED, verbose=0, **cfg["classifier"]
    )


def _plain(v):
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    return v.item() if isinstance(v, np.generic) else v


def run_sampler(name, sampler, data, classifier, cfg, fitted: bool = False) -> dict:
    X, y, X_test, y_test = data
    result: dict[str, Any] = {
        "params": {
            k: _plain(v)
            for k, v in sampler.get_params(deep=False).items()
            if v is None or isinstance(v, bool | int | float | str)
        }
    }
    try:
        start = time.perf_counter()
        if not fitted:
            sampler.fit(X, y)
        result["fit_time_s"] = time.perf_counter() - start
        start = time.perf_counter()
        report = synthetic_quality_report(
            sampler,
            X,
            y,
            X_test,
            y_test,
            classifier=classifier,
            max_samples=cfg["max_samples"],
            cv=cfg["cv"],
            n_repeats=cfg["n_repeats"],
            target_names=AAMI_CLASSES,
            random_state=SEED,
            as_frame=False,
        )
        result["report_time_s"] = time.perf_counter() - start
        keys = list(report)
        result["rows"] = [
            {k: _plain(report[k][i]) for k in keys}
            for i in range(len(report["metric"]))
        ]
    except Exception as exc:  # one failing sampler must not sink the others
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
        print(f"{name} failed: {result['error']}", file=sys.stderr)
    return result


def _fit_time(result: dict) -> float:
    """Seconds to fit the sampler (when shared: its fit in the cache's run)."""
    return result.get("shared_fit", {}).get("fit_time_s", result["fit_time_s"])


def _lookup(rows: list[dict], metric: str, label: str, col: str = "value"):
    for r in rows:
        if r["metric"] == metric and r["label"] == label:
            return r[col]
    return None


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def markdown(report: dict) -> str:
    m, d = report["machine"], report["data"]
    lines = [
        f"# Synthetic quality report ({report['budget']})",
        "",
        f"- command: `{report['command']}`",
        f"- git: {report['git']['commit']} (dirty: {report['git']['dirty']})",
        f"- machine: {m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']} "
        f"({m['torch_threads']} threads), GPU: {m['gpu']}, "
        f"1-min load at start {m.get('load_avg_1min_at_start', float('nan')):.1f}",
        f"- data: {d['source']}: {d['n_train']} train beats "
        f"(N S V F Q: {' '.join(map(str, d['train_counts']))}), {d['n_test']} test "
        f"({' '.join(map(str, d['test_counts']))})",
        f"- settings: {json.dumps(report['settings'])}",
        f"- seed {report['seed']}, wall time {report['wall_time_s']:.0f} s",
        "",
    ]
    samplers = report["samplers"]
    ok = {n: r for n, r in samplers.items() if "rows" in r}
    if not samplers:
        lines.append("No sampler in `ecgaug.generators.__all__`: nothing to report.")
    for name, r in samplers.items():
        if "error" in r:
            lines.append(f"**{name} failed**: `{r['error']}`")
            lines.append("")
    if ok:
        first = next(iter(ok.values()))["rows"]
        names = list(ok)
        lines += [
            "## All classes pooled",
            "",
            "`reference`: real training beats (same class counts) in place of the "
            "synthetic ones; utility rows: TRTR.",
            "",
            "| metric | goal | reference | " + " | ".join(names) + " |",
            "|---|---|---|" + "---|" * len(names),
        ]
        for metric in SUMMARY:
            goal = next((r["goal"] for r in first if r["metric"] == metric), None)
            if goal is None:
                continue
            ref = _lookup(first, metric, "all", "reference")
            vals = [_fmt(_lookup(ok[n]["rows"], metric, "all")) for n in names]
            lines.append(
                f"| {metric} | {goal} | {_fmt(ref)} | " + " | ".join(vals) + " |"
            )
        lines += [
            "",
            "| | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
            "| fit time (s) | "
            + " | ".join(f"{_fit_time(ok[n]):.0f}" for n in names)
            + " |",
            "| report time (s) | "
            + " | ".join(f"{ok[n]['report_time_s']:.0f}" for n in names)
            + " |",
            "",
        ]
        for name in names:
            rows = ok[name]["rows"]
            lines += [
                f"## {name} per class (value / reference)",
                "",
                "| metric | " + " | ".join(AAMI_CLASSES) + " |",
                "|---|" + "---|" * len(AAMI_CLASSES),
            ]
            for metric in PER_CLASS:
                cells = [
                    f"{_fmt(_lookup(rows, metric, c))} / "
                    f"{_fmt(_lookup(rows, metric, c, 'reference'))}"
                    for c in AAMI_CLASSES
                ]
                if all(c == "– / –" for c in cells):
                    continue
                lines.append(f"| {metric} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines) + "\n"


def run(
    budget: str = "quick",
    *,
    samplers: dict[str, Any] | None = None,
    data_home: str | None = None,
    out: str | Path | None = None,
    command: str = "",
) -> dict:
    """Run the benchmark; ``samplers`` maps names to unfitted samplers (default:
    every sampler of ``ecgaug.generators`` built for the budget)."""
    cfg = BUDGETS[budget]
    start = time.perf_counter()
    shared = samplers is None and cfg.get("shared_generators", False)
    shared_info: dict[str, Any] = {}
    if shared:
        samplers, shared_info = shared_generators(budget, data_home)
    elif samplers is None:
        samplers = {n: build_sampler(c, cfg) for n, c in discover_samplers().items()}
    report: dict[str, Any] = {
        "benchmark": "quality_report",
        "budget": budget,
        "command": command,
        "git": C.git_info(),
        "machine": {**C.machine_info(), "ecgaug": ecgaug.__version__},
        "seed": SEED,
        "settings": cfg,
    }
    X, y, X_test, y_test, source = load_data(cfg, data_home)
    report["data"] = {
        "source": source,
        "n_train": len(y),
        "n_test": len(y_test),
        "train_counts": np.bincount(y, minlength=5).tolist(),
        "test_counts": np.bincount(y_test, minlength=5).tolist(),
    }
    # one classifier for all samplers: the Fréchet distances share an embedding
    clf_start = time.perf_counter()
    classifier = make_classifier(cfg).fit(X, y) if samplers else None
    report["classifier_fit_time_s"] = time.perf_counter() - clf_start
    report["samplers"] = {}
    for name, sampler in samplers.items():
        print(f"== {name}", flush=True)
        report["samplers"][name] = run_sampler(
            name, sampler, (X, y, X_test, y_test), classifier, cfg, fitted=shared
        )
        if shared:
            report["samplers"][name]["shared_fit"] = shared_info[name]
    report["wall_time_s"] = time.perf_counter() - start
    text = markdown(report)
    print("\n" + text)
    out = Path(
        out
        or REPO
        / "benchmarks"
        / "results"
        / ("quality_report" + ("_smoke" if budget == "smoke" else ""))
    )
    with atomic_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n")
    with atomic_path(out.with_suffix(".md")) as tmp:
        tmp.write_text(text)
    print(f"wrote {out.with_suffix('.json')} and .md")
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=BUDGETS, default="quick")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument(
        "--samplers",
        nargs="*",
        default=None,
        help="names from ecgaug.generators.__all__ (default: all of them)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch / BLAS / OpenMP threads (default: 1 for smoke/quick, as is "
        "for full)",
    )
    parser.add_argument("--out", default=None, help="output path without suffix")
    args = parser.parse_args(argv)
    cfg = BUDGETS[args.budget]
    samplers = None
    if args.samplers is not None:
        found = discover_samplers()
        unknown = sorted(set(args.samplers) - set(found))
        if unknown:
            parser.error(f"unknown sampler(s) {unknown}; available: {sorted(found)}")
        samplers = {n: build_sampler(found[n], cfg) for n in args.samplers}
    threads = args.threads or (None if args.budget == "full" else 1)
    command = " ".join(
        [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
    )
    if threads:
        torch.set_num_threads(threads)
        with threadpool_limits(threads):
            return run(
                args.budget,
                samplers=samplers,
                data_home=args.data_home,
                out=args.out,
                command=command,
            )
    return run(
        args.budget,
        samplers=samplers,
        data_home=args.data_home,
        out=args.out,
        command=command,
    )


if __name__ == "__main__":
    main()
